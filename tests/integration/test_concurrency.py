"""Concurrent clients: round robin stays balanced and counts only real hand-overs; one person's burst of
submissions never sees an error."""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.domain.leads import lead_id_for
from chalicelib.local import emulator
from chalicelib.services.forms import FormRequest
from tests.conftest import DEMO_ORIGIN, Api
from tests.integration.test_handovers_api import _always_open, _journey

# The tester saw 200 concurrent posts for one e-mail answer 409 in 83% of cases.
BURST = 200


@pytest.fixture(autouse=True)
def serialised_emulator() -> None:
    """moto's in-process backend is not thread-safe on its own; the local stack's patches make it so."""
    emulator.install()


def _submit(api: Api, email: str, **fields: str) -> str:
    request = FormRequest(site_key="demo", body=json.dumps({"email": email, **fields}).encode(),
                          content_type="application/json", origin=DEMO_ORIGIN)
    return api.wiring.forms.submit(request).lead_id


def test_round_robin_stays_balanced_under_concurrency_and_retries_take_no_turns(api: Api):
    _journey(api, _always_open())
    emails = [f"rr-{index}@kunde.dk" for index in range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        lead_ids = list(pool.map(lambda email: _submit(api, email), emails))
    # The same submissions again (a client's retry): answered from their receipts, no new turns.
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(lambda email: _submit(api, email), emails)) == lead_ids

    owners = Counter(state.owner for lead_id in lead_ids for state in api.repos.handovers.lead_handovers("demo",
                                                                                                       lead_id))
    assert owners == {"sales-a@demo.dk": 20, "sales-b@demo.dk": 20}
    assert api.repos.handovers.current_turn("demo", "marketing-to-sales") == 40


def test_a_burst_of_submissions_for_one_person_all_succeed_and_each_is_recorded(api: Api):
    api.wiring.forms.sleep = time.sleep  # real waits: the retries must spread out as they do in production
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda n: _submit(api, "burst@kunde.dk", message=f"besked {n}"), range(BURST)))
    lead_id = lead_id_for("demo", "burst@kunde.dk")
    assert set(answers) == {lead_id}
    events = api.repos.leads.lead_events("demo", lead_id).events
    assert sum(event.type == "form_submit" for event in events) == BURST
    lead = api.repos.leads.lead("demo", lead_id)
    assert lead is not None and lead.submissions == BURST
