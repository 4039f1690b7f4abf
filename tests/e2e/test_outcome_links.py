"""An owner in a real browser, at a phone and a desktop viewport: the "How did it go?" e-mail the local stack
prints some seconds after an accept, its Won link's page, and recording the deal; kept as screenshots."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from typing import Any

import pytest

from chalicelib.local.seed import DEMO_JOURNEY
from tests.e2e.conftest import LocalStack
from tests.e2e.test_link_pages import ADMIN_KEY, RULE, _form, _handover, _looks_right, _offer, _open, _send, _wait

pytestmark = pytest.mark.e2e

OUTCOME_LINK = re.compile(r"https?://[^/\s]+(/outcomes/[^/\s]+/(?:won|lost)\?token=[^\s\]]+)")


def _journey_asking_soon(stack: LocalStack) -> None:
    """The demo journey, with an SLA on the 24/7 clock and the ask two seconds after an accept."""
    journey = json.loads(json.dumps(DEMO_JOURNEY))
    journey["handovers"][0]["sla"] = {"accept_within": "PT1H"}
    journey["handovers"][0]["escalation"] = []
    journey["outcome_after"] = "PT2S"
    _send(stack, "PUT", "/admin/journey", journey, key=ADMIN_KEY)


def _accept(stack: LocalStack, path: str) -> None:
    request = urllib.request.Request(stack.base_url + path, data=b"", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def _ask(stack: LocalStack, lead_email: str) -> dict[str, str]:
    """The won and lost paths of the "How did it go?" e-mail the stack printed about ``lead_email``."""
    tag = lead_email.split("@")[0]

    def find() -> dict[str, str] | None:
        for block in stack.output().split(RULE + "\n\n"):
            links = OUTCOME_LINK.findall(block)
            if tag in block and links:
                return {("won" if "/won?" in link else "lost"): link for link in links}
        return None

    found: dict[str, str] = _wait(f"a 'How did it go?' e-mail about {lead_email}", find, timeout=30)
    return found


def test_the_owner_records_a_won_deal_from_the_email_link(local_stack: LocalStack, page: Any):
    # Given an owner who accepted a lead, and a journey that asks two seconds after an accept
    _journey_asking_soon(local_stack)
    lead_id, email = _form(local_stack)
    _, accept, _ = _offer(local_stack, email)
    _accept(local_stack, accept)

    # When the ask arrives and they open its Won link
    links = _ask(local_stack, email)
    assert set(links) == {"won", "lost"}
    _open(page, local_stack, links["won"], 200)
    body = page.inner_text("main")

    # Then the page asks for the value, prefilled with the journey's default deal value, and records nothing yet
    assert "Vundet: tillykke!" in body and "Mette Hansen" in body
    assert page.input_value("#value") == "25000.00" and "DKK" in body
    assert page.input_value("#date")
    assert local_stack.get(f"/leads/{lead_id}")[1]["outcome"] is None
    _looks_right(page, "outcome-won-form")

    # When a value that is not an amount is sent
    page.fill("#value", "mange penge")
    with page.expect_navigation():
        page.click("button:has-text('Registrér som vundet')")
    # Then the page says what to change and keeps what was typed
    assert "Værdien skal være et beløb" in page.inner_text("main")
    assert page.input_value("#value") == "mange penge"
    _looks_right(page, "outcome-won-problem")

    # When they send the deal's value
    page.fill("#value", "31.500")
    with page.expect_navigation():
        page.click("button:has-text('Registrér som vundet')")

    # Then it is recorded as theirs, and the lead is a customer
    body = page.inner_text("main")
    assert "Tak: udfaldet for Mette Hansen er registreret." in body and "31500.00 DKK" in body
    _looks_right(page, "outcome-won-recorded")
    lead = local_stack.get(f"/leads/{lead_id}")[1]
    assert lead["outcome"]["outcome"] == "won" and lead["outcome"]["value"] == "31500.00"
    assert lead["stage"] == "customer" and _handover(local_stack, lead_id)["status"] == "accepted"


def test_the_lost_link_asks_why(local_stack: LocalStack, page: Any):
    _journey_asking_soon(local_stack)
    lead_id, email = _form(local_stack, name=f"Tabt {uuid.uuid4().hex[:4]}")
    _, accept, _ = _offer(local_stack, email)
    _accept(local_stack, accept)
    links = _ask(local_stack, email)

    _open(page, local_stack, links["lost"], 200)
    _looks_right(page, "outcome-lost-form")
    page.check("#reason-competitor")
    page.fill("#note", "Valgte en billigere løsning.")
    with page.expect_navigation():
        page.click("button:has-text('Registrér som tabt')")

    assert "Valgte en konkurrent: Valgte en billigere løsning." in page.inner_text("main")
    assert local_stack.get(f"/leads/{lead_id}")[1]["outcome"]["outcome"] == "lost"
