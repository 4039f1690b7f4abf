"""An owner in a real browser, at a phone and a desktop viewport: the lead card from the e-mail, accepting,
declining, and every dead end a link can lead to, each kept as a screenshot under test-artifacts/."""

from __future__ import annotations

import json
import re
import time
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from chalicelib.domain.tokens import Keyring
from chalicelib.local.seed import DEMO_JOURNEY
from chalicelib.services.action_links import ActionLinks
from chalicelib.settings import DEVELOPMENT_LINK_SECRET
from tests.e2e.conftest import LocalStack, screenshot

pytestmark = pytest.mark.e2e

ADMIN_KEY = "demo-admin-key"
CAMPAIGN = "/demo?utm_source=newsletter&utm_medium=email&utm_campaign=spring-offer"
LINK = re.compile(r"https?://[^/\s]+(/handovers/[^/\s]+/(?:accept|decline)\?token=[^\s\]]+)")
RULE = "=" * 72


def _journey(stack: LocalStack, sla: dict[str, str] | None = None, escalation: list[dict[str, str]] | None = None
             ) -> None:
    journey = json.loads(json.dumps(DEMO_JOURNEY))
    if sla is not None:
        journey["handovers"][0]["sla"] = sla
        journey["handovers"][0]["escalation"] = escalation or []
    _send(stack, "PUT", "/admin/journey", journey, key=ADMIN_KEY)


def _send(stack: LocalStack, method: str, path: str, body: dict[str, Any], key: str | None = None) -> Any:
    request = urllib.request.Request(stack.base_url + path, data=json.dumps(body).encode(), method=method,
                                     headers={"Content-Type": "application/json"})
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def _wait(what: str, check: Callable[[], Any], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def _offer(stack: LocalStack, lead_email: str, owner: str | None = None, skip: int = 0) -> tuple[str, str, str]:
    """(owner, accept path, decline path) of an offer e-mail the stack printed about ``lead_email``."""

    def find() -> tuple[str, str, str] | None:
        # The offer names the lead by name and company, never its e-mail: the company carries the e-mail's tag.
        tag = lead_email.split("@")[0]
        blocks = [block for block in stack.output().split(RULE + "\n\n") if tag in block]
        offers = []
        for block in blocks:
            to = re.search(r"E-MAIL\s+to (\S+)", block)
            links = LINK.findall(block)
            accept = next((link for link in links if "/accept?" in link), None)
            decline = next((link for link in links if "/decline?" in link), None)
            if to and accept and decline and (owner is None or to.group(1) == owner):
                offers.append((to.group(1), accept, decline))
        return offers[skip] if len(offers) > skip else None

    found: tuple[str, str, str] = _wait(f"an offer e-mail about {lead_email}", find)
    return found


def _form(stack: LocalStack, **fields: str) -> tuple[str, str]:
    email = f"link-{uuid.uuid4().hex[:8]}@kunde.dk"
    body = {"email": email, "name": "Mette Hansen", "company": f"Hansen ApS {email.split('@')[0]}",
            "phone": "+45 12 34 56 78",
            "message": "Vi vil gerne have et tilbud på solceller til et parcelhus.", **fields}
    return _send(stack, "POST", "/forms/demo", body)["lead_id"], email


def _handover(stack: LocalStack, lead_id: str) -> dict[str, Any]:
    return dict(stack.get(f"/leads/{lead_id}")[1]["handovers"][0])


def _open(page: Any, stack: LocalStack, path: str, status: int) -> Any:
    answer = page.goto(stack.base_url + path)
    assert answer.status == status, (path, answer.status, page.content()[:500])
    assert answer.headers["cache-control"] == "no-store" and answer.headers["x-robots-tag"] == "noindex"
    return answer


# --- what every page must be for a person -------------------------------------------------------------


def _luminance(rgb: tuple[float, ...]) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(value) for value in rgb[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _contrast(first: tuple[float, ...], second: tuple[float, ...]) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


COLOURS = """() => {
  const rgb = (text) => text.match(/[\\d.]+/g).map(Number);
  const background = (element) => {
    for (let node = element; node; node = node.parentElement) {
      const parts = rgb(getComputedStyle(node).backgroundColor);
      if (parts.length === 3 || parts[3] > 0) return parts.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return [...document.querySelectorAll('h1,h2,h3,p,dt,dd,li,a,label,button,.meta,blockquote')]
    .filter((element) => element.innerText.trim())
    .map((element) => ({text: element.innerText.trim().slice(0, 40), fg: rgb(getComputedStyle(element).color),
                        bg: background(element)}));
}"""


def _looks_right(page: Any, name: str, language: str = "da") -> None:
    """One language, readable contrast, labelled fields, no sideways scrolling; kept as a screenshot."""
    assert page.evaluate("document.documentElement.lang") == language
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    assert page.locator("h1").count() == 1 and page.locator("main").count() == 1
    for element in page.evaluate(COLOURS):
        ratio = _contrast(tuple(element["fg"]), tuple(element["bg"]))
        assert ratio >= 4.5, f"{element['text']!r}: contrast {ratio:.2f}"
    for field in page.locator("textarea, input:not([type=hidden])").all():
        field_id = field.get_attribute("id")
        assert field_id and page.locator(f"label[for={field_id}]").count() == 1, "a field without a label"
    screenshot(page, name)


def _tab_to(page: Any, text: str) -> None:
    """Reach a button by keyboard alone, and see that its focus is visible."""
    for _ in range(30):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.tagName + ' ' + document.activeElement.innerText")
        if focused == f"BUTTON {text}":
            outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            assert outline not in ("none", ""), "keyboard focus is not visible"
            return
    raise AssertionError(f"no button {text!r} reached by Tab")


# --- the lead card and accepting ----------------------------------------------------------------------


def test_an_owner_opens_the_lead_card_from_the_email_and_accepts_it_by_keyboard(local_stack: LocalStack,
                                                                                 page: Any):
    _journey(local_stack)
    email = f"card-{uuid.uuid4().hex[:8]}@firma.dk"
    # Given a visitor from the newsletter who looks at two pages and sends the contact form
    page.goto(local_stack.base_url + CAMPAIGN)
    page.wait_for_function("document.cookie.includes('et_vid=')")
    page.click("a[href='/demo/contact']")
    page.wait_for_url("**/demo/contact")
    page.wait_for_selector("#contact-form input[name=et_vid]", state="attached")
    page.fill("#name", "Mette Hansen")
    page.fill("#email", email)
    page.fill("#company", f"Hansen ApS {email.split('@')[0]}")
    page.fill("#message", "Vi vil gerne høre om solceller til vores tag.\nRing gerne efter kl. 16.")
    page.click("#submit")
    page.wait_for_url("**/demo/thanks")
    _, accept, _ = _offer(local_stack, email)

    # When the owner opens the accept link from the e-mail
    _wait("both page views on the lead", lambda: page.goto(local_stack.base_url + accept) and
          page.locator(".pages li").count() >= 2, timeout=10)
    _open(page, local_stack, accept, 200)
    body = page.inner_text("main")
    # Then they see the lead card in Danish, with no contact details yet
    assert "Nyt lead til dig" in body and "Mette Hansen" in body and "Hansen ApS" in body
    assert "Ring gerne efter kl. 16." in body and "kampagne spring-offer" in body
    assert re.search(r"Acceptér senest\s+\w+ \d+\. \w+ kl\. \d\d:\d\d \(Europe/Copenhagen\)", body)
    assert email not in body and "Accept the lead" not in body
    _looks_right(page, "link-card")

    # When they accept with the keyboard alone
    _tab_to(page, "Acceptér leadet")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    body = page.inner_text("main")
    # Then the contact details and the next promise are theirs
    assert "Leadet er dit" in body and "Kontakt Mette Hansen inden for 24 timer: senest" in body
    assert page.get_attribute(f"a[href='mailto:{email}']", "href") == f"mailto:{email}"
    _looks_right(page, "link-accepted")

    # And the link opened again says when they accepted
    _open(page, local_stack, accept, 200)
    assert "Du accepterede dette lead" in page.inner_text("main")


def test_an_owner_declines_with_a_reason_and_the_accept_link_then_says_so(local_stack: LocalStack, page: Any):
    _journey(local_stack)
    lead_id, email = _form(local_stack)
    owner, accept, decline = _offer(local_stack, email)
    _open(page, local_stack, decline, 200)
    _looks_right(page, "link-decline-card")
    page.fill("#reason", "Jeg er på ferie resten af ugen.")
    with page.expect_navigation():
        page.click("button:has-text('Afvis leadet')")
    assert "Du har afvist leadet" in page.inner_text("main")
    _looks_right(page, "link-declined")
    assert _handover(local_stack, lead_id)["owner"] != owner

    _open(page, local_stack, accept, 409)
    assert "Du har afvist dette lead" in page.inner_text("main")
    _looks_right(page, "link-dead-declined")


# --- dead ends ----------------------------------------------------------------------------------------


def test_a_lead_handed_on_and_then_accepted_by_someone_else_says_so_to_the_first_owner(local_stack: LocalStack,
                                                                                         page: Any):
    _journey(local_stack, {"accept_within": "PT2S", "contact_within": "PT1H"},
             [{"at": "100%", "action": "reassign"}])
    lead_id, email = _form(local_stack)
    first, accept_first, _ = _offer(local_stack, email)
    _wait("the reassignment", lambda: _handover(local_stack, lead_id)["owner"] != first)

    _open(page, local_stack, accept_first, 409)
    body = page.inner_text("main")
    second = _handover(local_stack, lead_id)["owner"]
    assert "Leadet er gået videre til en anden" in body and second in body
    _looks_right(page, "link-dead-reassigned")

    _, accept_second, _ = _offer(local_stack, email, owner=second)
    request = urllib.request.Request(local_stack.base_url + accept_second, data=b"", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
    _open(page, local_stack, accept_first, 409)
    body = page.inner_text("main")
    assert "En anden har taget dette lead" in body and f"{second} accepterede det" in body
    assert email not in body
    _looks_right(page, "link-dead-accepted-by-other")


def test_a_lead_that_ended_in_a_gap_says_what_to_do(local_stack: LocalStack, page: Any):
    _journey(local_stack, {"accept_within": "PT1S"}, [{"at": "100%", "action": "gap"}])
    lead_id, email = _form(local_stack)
    _, accept, _ = _offer(local_stack, email)
    _wait("the gap", lambda: _handover(local_stack, lead_id)["status"] == "gap")
    _open(page, local_stack, accept, 409)
    assert "Ingen nåede at tage dette lead" in page.inner_text("main")
    _looks_right(page, "link-dead-gap")


def test_expired_tampered_and_unknown_links_each_say_what_happened(local_stack: LocalStack, page: Any):
    _journey(local_stack)
    lead_id, email = _form(local_stack)
    owner, accept, _ = _offer(local_stack, email)
    handover_id = _handover(local_stack, lead_id)["handover_id"]
    # The local stack signs with the development secret, so a test can make the links it cannot wait for.
    keys = Keyring.from_secrets(DEVELOPMENT_LINK_SECRET)
    weeks_ago = ActionLinks(keys, local_stack.base_url, lambda: datetime.now(UTC) - timedelta(days=15))
    expired = urlsplit(weeks_ago.handover_link("demo", handover_id, owner, "accept"))
    _open(page, local_stack, f"{expired.path}?{expired.query}", 410)
    assert "Linket er udløbet" in page.inner_text("main")
    _looks_right(page, "link-dead-expired")

    token = accept.split("token=", 1)[1]
    _open(page, local_stack, f"{accept.split('?')[0]}?{urlencode({'token': token[:-4]})}", 400)
    assert "This link is not valid" in page.inner_text("main")
    _looks_right(page, "link-dead-invalid", language="en")

    now = ActionLinks(keys, local_stack.base_url, lambda: datetime.now(UTC))
    unknown = urlsplit(now.handover_link("demo", "ho_aaaaaaaaaaaaaaaaaaaaaaaa_00000000", owner, "accept"))
    _open(page, local_stack, f"{unknown.path}?{unknown.query}", 404)
    assert "Denne overdragelse findes ikke" in page.inner_text("main")
    _looks_right(page, "link-dead-missing")
    assert _handover(local_stack, lead_id)["status"] == "offered"
