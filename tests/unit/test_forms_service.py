"""The form service on the in-memory store: races, retries and what a submission costs."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime

import pytest

from chalicelib.adapters.memory_store import InMemoryJourneyStore
from chalicelib.domain.capture import Site
from chalicelib.domain.leads import Lead, lead_id_for
from chalicelib.errors import Conflict, ForeignOrigin, UnknownSite
from chalicelib.services.forms import FormRequest, Forms
from chalicelib.services.ports import Tenant
from chalicelib.services.tenancy import Tenancy, register_tenant

ORIGIN = "https://firma.dk"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _forms(store: InMemoryJourneyStore) -> Forms:
    register_tenant(store, Tenant("t1", "Firma"), [Site("s1", "t1", (ORIGIN,))], ["key"])
    clock = Clock()
    ids = itertools.count()
    return Forms(store, Tenancy(store, clock), clock, new_id=lambda: f"e{next(ids)}")


def _request(email: str, **extra: str) -> FormRequest:
    return FormRequest(site_key="s1", body=json.dumps({"email": email, **extra}).encode(),
                       content_type="application/json", origin=ORIGIN)


class RacingStore(InMemoryJourneyStore):
    """Another submission for the same person lands between our read and our write, ``races`` times."""

    def __init__(self, races: int):
        super().__init__()
        self.races = races
        self.rival: Forms | None = None
        self.rival_running = False

    def lead(self, tenant_id: str, lead_id: str) -> Lead | None:
        seen = super().lead(tenant_id, lead_id)
        if self.races and self.rival is not None and not self.rival_running:
            self.races -= 1
            self.rival_running = True
            try:
                self.rival.submit(_request("race@firma.dk", message=f"rival {self.races}"))
            finally:
                self.rival_running = False
        return seen


def test_two_first_submissions_racing_make_one_lead_with_both_events():
    store = RacingStore(races=1)
    forms = _forms(store)
    store.rival = Forms(store, forms.tenancy, forms.clock, new_id=forms.new_id)

    result = forms.submit(_request("race@firma.dk", message="mine"))

    lead_id = lead_id_for("t1", "race@firma.dk")
    assert result.lead_id == lead_id
    events = store.lead_events("t1", lead_id)
    assert [event.type for event in events].count("form_submit") == 2
    assert [event.type for event in events].count("stage_change") == 1
    lead = store.lead("t1", lead_id)
    assert lead is not None and lead.submissions == 2


def test_a_lead_that_keeps_changing_ends_in_a_conflict_not_a_lost_write():
    store = RacingStore(races=10)
    forms = _forms(store)
    store.rival = Forms(store, forms.tenancy, forms.clock, new_id=forms.new_id)
    with pytest.raises(Conflict):
        forms.submit(_request("race@firma.dk", message="mine"))


def test_refusals_happen_before_anything_is_written():
    store = InMemoryJourneyStore()
    forms = _forms(store)
    with pytest.raises(UnknownSite):
        forms.submit(FormRequest(site_key="nope", body=b"{}", content_type="application/json"))
    with pytest.raises(ForeignOrigin):
        forms.submit(FormRequest(site_key="s1", body=b"{}", content_type="application/json",
                                 origin="https://evil.example"))
    assert store.writes == 0
