"""The form service on DynamoDB (moto): races, retries with jitter, and a hand-over that cannot start."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.adapters.dynamo import Repositories
from chalicelib.adapters.dynamo.leads import DynamoLeads
from chalicelib.domain.capture import Site
from chalicelib.domain.leads import Lead, lead_id_for
from chalicelib.errors import Conflict, ForeignOrigin, UnknownSite
from chalicelib.services.forms import MAX_ATTEMPTS, STORE_ATTEMPTS, FormRequest, Forms
from chalicelib.services.handovers import Handovers, Plan
from chalicelib.services.journeys import Journeys
from chalicelib.services.ports import Tenant
from chalicelib.services.tenancy import Tenancy, register_tenant

ORIGIN = "https://firma.dk"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class RacingLeads(DynamoLeads):
    """Another submission for the same person lands between our read and our write, ``races`` times."""

    def __init__(self, inner: DynamoLeads, races: int):
        super().__init__(inner.table)
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


def _forms(repos: Repositories, leads: DynamoLeads | None = None, handovers: Handovers | None = None,
           sleeps: list[float] | None = None) -> Forms:
    register_tenant(repos.tenancy, Tenant("t1", "Firma"), [Site("s1", "t1", (ORIGIN,))], ["key"])
    clock = Clock()
    ids = itertools.count()
    waits = sleeps if sleeps is not None else []
    return Forms(leads or repos.leads, repos.capture, repos.capture, Tenancy(repos.tenancy, clock), clock,
                 new_id=lambda: f"e{next(ids)}", handovers=handovers, sleep=waits.append, jitter=lambda: 0.5)


def _request(email: str, **extra: str) -> FormRequest:
    return FormRequest(site_key="s1", body=json.dumps({"email": email, **extra}).encode(),
                       content_type="application/json", origin=ORIGIN)


def _count(repos: Repositories) -> int:
    return int(repos.client.scan(TableName=repos.table_name, Select="COUNT")["Count"])


def test_two_first_submissions_racing_make_one_lead_with_both_events(repos: Repositories):
    racing = RacingLeads(repos.leads, races=1)
    sleeps: list[float] = []
    forms = _forms(repos, racing, sleeps=sleeps)
    racing.rival = _forms(repos)

    result = forms.submit(_request("race@firma.dk", message="mine"))

    lead_id = lead_id_for("t1", "race@firma.dk")
    assert result.lead_id == lead_id
    types = [event.type for event in repos.leads.lead_events("t1", lead_id).events]
    assert types.count("form_submit") == 2 and types.count("stage_change") == 1
    lead = repos.leads.lead("t1", lead_id)
    assert lead is not None and lead.submissions == 2
    assert len(sleeps) == 1 and sleeps[0] > 0  # the loser waited a random while before reading again


def test_a_lead_that_keeps_changing_ends_in_a_conflict_not_a_lost_write(repos: Repositories):
    racing = RacingLeads(repos.leads, races=MAX_ATTEMPTS)
    sleeps: list[float] = []
    forms = _forms(repos, racing, sleeps=sleeps)
    racing.rival = _forms(repos)
    with pytest.raises(Conflict):
        forms.submit(_request("race@firma.dk", message="mine"))
    assert len(sleeps) == MAX_ATTEMPTS - 1
    assert sleeps == sorted(sleeps) and max(sleeps) <= 0.5  # growing back-off, capped


class RefusingLeads(DynamoLeads):
    """A store whose every write fails with ``error``."""

    def __init__(self, inner: DynamoLeads, error: Exception):
        super().__init__(inner.table)
        self.error = error
        self.saves = 0

    def save_submission(self, *args: Any, **kwargs: Any) -> None:
        self.saves += 1
        raise self.error


def test_a_failing_store_is_tried_again_a_bounded_number_of_times_then_the_error_shows(repos: Repositories):
    failing = RefusingLeads(repos.leads, RuntimeError("ProvisionedThroughputExceededException"))
    sleeps: list[float] = []
    forms = _forms(repos, failing, sleeps=sleeps)

    with pytest.raises(RuntimeError):
        forms.submit(_request("down@firma.dk"))

    assert failing.saves == STORE_ATTEMPTS < MAX_ATTEMPTS  # conflicts may be tried more often than failures
    assert len(sleeps) == STORE_ATTEMPTS - 1


def test_refusals_happen_before_anything_is_written(repos: Repositories):
    forms = _forms(repos)
    before = _count(repos)
    with pytest.raises(UnknownSite):
        forms.submit(FormRequest(site_key="nope", body=b"{}", content_type="application/json"))
    with pytest.raises(ForeignOrigin):
        forms.submit(FormRequest(site_key="s1", body=b"{}", content_type="application/json",
                                 origin="https://evil.example"))
    assert _count(repos) == before


class BrokenHandovers(Handovers):
    def plan(self, trigger: str, lead: Lead, form: str | None, now: datetime,
             turns: dict[str, int] | None = None) -> Plan:
        raise OverflowError("date value out of range")


def test_a_hand_over_that_cannot_start_still_stores_the_lead_and_says_so_on_its_timeline(repos: Repositories):
    clock = Clock()
    broken = BrokenHandovers(repos.leads, repos.handovers, Journeys(repos.journeys, clock), clock)
    forms = _forms(repos, handovers=broken)

    result = forms.submit(_request("kunde@firma.dk", name="Kunde"))

    lead = repos.leads.lead("t1", result.lead_id)
    assert lead is not None and lead.name == "Kunde"
    events: list[Any] = repos.leads.lead_events("t1", result.lead_id).events
    failed = [event for event in events if event.type == "handover_failed"]
    assert len(failed) == 1 and failed[0].details == {"trigger": "form_submit", "error": "OverflowError"}


def test_a_retry_after_a_collision_keeps_the_round_robin_turn_it_took(repos: Repositories):
    clock = Clock()
    journeys = _sales_journey(repos, clock)
    handovers = Handovers(repos.leads, repos.handovers, journeys, clock)
    racing = RacingLeads(repos.leads, races=3)
    forms = _forms(repos, racing, handovers=handovers)
    racing.rival = _forms(repos)  # the rival (same person, no journey) makes this request retry three times

    result = forms.submit(_request("race@firma.dk", message="mine"))

    lead = repos.leads.lead("t1", result.lead_id)
    assert lead is not None and "to-sales" in lead.handovers
    assert repos.handovers.current_turn("t1", "to-sales") == 1  # four attempts, one turn


class FlakyLeads(DynamoLeads):
    """The store fails the first ``failures`` writes the way a throttled DynamoDB does."""

    def __init__(self, inner: DynamoLeads, failures: int):
        super().__init__(inner.table)
        self.failures = failures

    def save_submission(self, *args: Any, **kwargs: Any) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("ProvisionedThroughputExceededException")
        super().save_submission(*args, **kwargs)


def _sales_journey(repos: Repositories, clock: Clock) -> Journeys:
    journeys = Journeys(repos.journeys, clock)
    journeys.replace("t1", {"handovers": [{
        "name": "to-sales", "on": "form_submit",
        "route": {"strategy": "round_robin", "owners": ["a@firma.dk", "b@firma.dk"]},
        "sla": {"accept_within": "PT4H"}}]})
    return journeys


def test_a_throttled_write_is_tried_again_and_the_hand_over_still_starts(repos: Repositories):
    clock = Clock()
    handovers = Handovers(repos.leads, repos.handovers, _sales_journey(repos, clock), clock)
    sleeps: list[float] = []
    result = _forms(repos, FlakyLeads(repos.leads, failures=2), handovers=handovers, sleeps=sleeps).submit(
        _request("throttled@firma.dk"))
    lead = repos.leads.lead("t1", result.lead_id)
    assert lead is not None and "to-sales" in lead.handovers  # not given up as a hand-over failure
    assert len(sleeps) == 2


def test_a_write_the_store_refuses_as_it_is_is_not_tried_again(repos: Repositories):
    from chalicelib.adapters.dynamo.transaction import TransactionInvalid
    from chalicelib.errors import WriteRefused

    refusing = RefusingLeads(repos.leads, TransactionInvalid({"lead"}))  # DynamoDB's ValidationError, 400 KB
    sleeps: list[float] = []
    forms = _forms(repos, refusing, sleeps=sleeps)

    with pytest.raises(WriteRefused):
        forms.submit(_request("huge@firma.dk"))

    assert refusing.saves == 1 and sleeps == []
