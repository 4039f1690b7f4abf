"""An end customer in a real browser, at a phone and a desktop viewport, answering the survey e-mail the local stack
prints a second after the owner accepted: the inline answer opened, the page answered a question at a time, the
answer kept when they leave, resumed, a "nobody called" raising the disputed contact, resubmission refused, the
30-day rule, a tampered link and the one-click unsubscribe; screenshots kept."""

from __future__ import annotations

import json
import re
import time
import urllib.request
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import LocalStack
from tests.e2e.test_link_pages import ADMIN_KEY, RULE, _looks_right, _send, _tab_to, _wait

pytestmark = pytest.mark.e2e

LINK = re.compile(r"https?://[^/\s]+(/[su]/[^\s\]>]+)")
JOURNEY = {
    "language": "da", "survey_basis": "legitimate_interest", "manager_email": "manager@demo.dk",
    "surveys": [{"name": "efter-accept", "after": "handover_accepted", "delay": "PT1S", "expires": "P7D"}],
    "handovers": [{"name": "marketing-to-sales", "on": "form_submit",
                   "route": {"strategy": "round_robin", "owners": ["sales-a@demo.dk"]},
                   "sla": {"accept_within": "PT1H"}}],
}


def _accepted(stack: LocalStack, email: str) -> str:
    lead_id = str(_send(stack, "POST", "/forms/demo", {"email": email, "name": "Karen Holm"})["lead_id"])
    handover = stack.get(f"/leads/{lead_id}")[1]["handovers"][0]
    _send(stack, "POST", f"/handovers/{handover['handover_id']}/accept", {}, key="sales-a-key")
    return lead_id


def _survey_emails(stack: LocalStack, email: str) -> list[str]:
    return [block for block in stack.output().split(RULE + "\n\n") if f"E-MAIL   to {email}" in block]


def _links(block: str) -> list[str]:
    return list(dict.fromkeys(LINK.findall(block)))


def _types(stack: LocalStack, lead_id: str) -> list[str]:
    return [event["type"] for event in stack.get(f"/leads/{lead_id}")[1]["timeline"]]


def test_a_customer_answers_the_survey_from_the_email_and_says_nobody_called(local_stack: LocalStack, page: Any):
    _send(local_stack, "PUT", "/admin/journey", JOURNEY, key=ADMIN_KEY)
    email = f"survey-{uuid.uuid4().hex[:8]}@kunde.dk"
    lead_id = _accepted(local_stack, email)
    (block,) = _wait("the survey e-mail", lambda: _survey_emails(local_stack, email), timeout=20)
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in block
    links = _links(block)
    no = next(link for link in links if link.endswith("step=0&answer=no"))
    unsubscribe = next(link for link in links if link.startswith("/u/"))

    # A mail scanner opens every link: nothing is recorded.
    for link in links:
        with urllib.request.urlopen(local_stack.base_url + link, timeout=10) as answer:
            assert answer.status == 200
    assert "survey_answered" not in _types(local_stack, lead_id)

    # The customer (a Danish browser) taps "Nej" in the e-mail: the page opens with it chosen, in Danish.
    page.set_extra_http_headers({"Accept-Language": "da-DK,da;q=0.9,en;q=0.5"})
    page.goto(local_stack.base_url + no)
    assert page.locator("#answer-no").is_checked()
    _looks_right(page, "survey-question")
    page.click("button[value=next]")
    page.wait_for_selector("text=Spørgsmål 2 af 4")
    _wait("the disputed contact", lambda: "contact_disputed" in _types(local_stack, lead_id))

    # They leave, and come back to the link later: it resumes at the second question.
    page.goto(local_stack.base_url + no.split("?")[0])
    assert page.locator("text=Spørgsmål 2 af 4").count() == 1
    page.check("#answer-week")
    page.click("button[value=next]")
    page.wait_for_selector("text=Spørgsmål 3 af 4")
    page.locator("label[for=score-3]").click()
    _looks_right(page, "survey-nps")
    _tab_to(page, "Næste")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Spørgsmål 4 af 4")
    page.fill("#answer", "Ingen har ringet, men siden var god.")
    page.click("button[value=send]")
    page.wait_for_selector("h1:has-text('Tak')")
    _looks_right(page, "survey-done")

    # Sending again records nothing more.
    page.goto(local_stack.base_url + no)
    assert page.locator("h1").inner_text() == "Allerede besvaret"
    answered = [event for event in local_stack.get(f"/leads/{lead_id}")[1]["timeline"]
                if event["type"] == "survey_answered"]
    assert [event["question"] for event in answered] == ["contacted", "how_quickly", "recommend", "anything_else"]

    # A tampered link gets a page, never JSON, in the browser's language (it cannot say whose it is).
    answer = page.goto(local_stack.base_url + no.split("?")[0][:-4] + "AAAA")
    assert answer.status == 400 and page.locator("h1").inner_text() == "Linket virker ikke"
    _looks_right(page, "survey-invalid")

    # The same person accepted again within 30 days: no second survey.
    _accepted(local_stack, email)
    time.sleep(3)
    assert len(_survey_emails(local_stack, email)) == 1

    # Unsubscribing asks first, then confirms.
    page.goto(local_stack.base_url + unsubscribe)
    _looks_right(page, "survey-unsubscribe")
    page.click("button.primary")
    page.wait_for_selector("h1:has-text('Du får ikke flere undersøgelser')")

    _, report = local_stack.get("/reports/surveys?by=survey")
    group = next(row for row in report["groups"] if row["group"] == "efter-accept")
    assert group["contact_disputes"] >= 1 and group["answered"] >= 1
    _, handovers = local_stack.get("/reports/handovers")
    assert handovers["contact_disputes"] >= 1
    assert json.dumps(report)  # the report is JSON for programs
