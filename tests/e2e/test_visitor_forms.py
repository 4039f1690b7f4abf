"""A visitor sends the contact form in a real browser: a detail never costs the lead, a problem never a dead end."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, LocalStack, screenshot

pytestmark = pytest.mark.e2e

# Chromium takes this as an e-mail address; the server does not (no domain with a dot): it refuses it.
NOT_QUITE_AN_EMAIL = "ole@byg"


def _email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@firma.dk"


def _lead(stack: LocalStack, email: str, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, found = stack.get(f"/leads?email={quote(email)}")
        if status == 200 and found["leads"]:
            return stack.get(f"/leads/{found['leads'][0]['lead_id']}")[1]
        time.sleep(0.2)
    raise AssertionError(f"no lead for {email}")


def _submits(lead: dict[str, Any]) -> list[dict[str, Any]]:
    return [event for event in lead["timeline"] if event["type"] == "form_submit"]


def _contact_page(page: Any, stack: LocalStack, enhanced: bool = True) -> None:
    page.goto(stack.base_url + "/demo/contact")
    if enhanced:
        page.wait_for_selector("#contact-form[data-leadtrail-form]", state="attached")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_without_javascript_a_refused_form_is_a_danish_page_with_a_way_back_to_what_was_typed(
    local_stack: LocalStack, browser: Any, viewport: dict[str, int]
):
    context = browser.new_context(java_script_enabled=False, viewport=viewport)
    page = context.new_page()
    page.viewport_name = "phone" if viewport == PHONE else "desktop"
    try:
        # Given a visitor without JavaScript who types an address the server cannot use
        _contact_page(page, local_stack, enhanced=False)
        page.fill("#name", "Ole Lund")
        page.fill("#email", NOT_QUITE_AN_EMAIL)

        # When they send the form
        page.click("#submit")

        # Then a page in the site's language (the demo site is English) names the field and says what to type
        page.wait_for_selector("h1")
        assert page.locator("h1").inner_text() == "Please check the form"
        assert page.locator("html").get_attribute("lang") == "en"
        problem = page.locator(".problems li")
        assert problem.count() == 1 and "E-mail" in problem.inner_text() and "name@company.dk" in problem.inner_text()
        assert "{" not in page.inner_text("body") and "invalid_input" not in page.content()  # no JSON
        back = page.get_by_role("link", name="← Back to the form")
        assert back.is_visible()
        screenshot(page, "form-error-no-js")

        # And the browser's way back finds the form as it was typed
        page.go_back()
        page.wait_for_url("**/demo/contact")
        assert page.input_value("#name") == "Ole Lund"
        assert page.input_value("#email") == NOT_QUITE_AN_EMAIL

        # And the Back link works without JavaScript too: it opens the form's page
        page.click("#submit")
        page.get_by_role("link", name="← Back to the form").click()
        page.wait_for_url("**/demo/contact")
    finally:
        context.close()


def test_with_the_snippet_problems_appear_beside_the_field_and_the_page_stays(local_stack: LocalStack, page: Any):
    # Given the contact page with the snippet, and a visitor whose address the server cannot use
    _contact_page(page, local_stack)
    page.fill("#name", "Ole Lund")
    page.fill("#email", NOT_QUITE_AN_EMAIL)
    page.fill("#phone", "ring efter kl. 16")

    # When they send the form
    page.click("#submit")

    # Then the e-mail field says what is wrong, for eyes and for screen readers, and has the focus
    page.wait_for_selector("#email[aria-invalid=true]")
    assert page.url.endswith("/demo/contact")
    described_by = page.get_attribute("#email", "aria-describedby")
    message = page.locator(f"#{described_by}")
    assert message.is_visible() and message.inner_text() == "Type your e-mail address, such as name@company.com."
    assert page.evaluate("document.activeElement.id") == "email"
    assert page.get_attribute("#phone", "aria-invalid") is None  # a flagged phone is no problem
    assert page.input_value("#name") == "Ole Lund"
    screenshot(page, "form-inline-error")

    # When they correct it and send again
    email = _email("inline")
    page.fill("#email", email)
    page.click("#submit")

    # Then the message is gone and the site's thank-you page follows
    page.wait_for_url("**/demo/thanks")
    lead = _lead(local_stack, email)
    assert lead["phone"] == "ring efter kl. 16"
    assert _submits(lead)[0]["fields_flagged"] == ["phone"]


def test_a_flagged_phone_still_makes_a_lead_without_javascript(local_stack: LocalStack, browser: Any):
    context = browser.new_context(java_script_enabled=False, viewport=DESKTOP)
    page = context.new_page()
    try:
        _contact_page(page, local_stack, enhanced=False)
        email = _email("nojs-phone")
        page.fill("#email", email)
        page.fill("#phone", "ring efter kl. 16")
        page.click("#submit")
        page.wait_for_url("**/demo/thanks")
    finally:
        context.close()
    lead = _lead(local_stack, email)
    assert (lead["phone"], _submits(lead)[0]["fields_flagged"]) == ("ring efter kl. 16", ["phone"])


def test_a_double_click_on_send_is_one_submission(local_stack: LocalStack, browser: Any):
    page = browser.new_page()
    try:
        _contact_page(page, local_stack)
        email = _email("double")
        page.fill("#email", email)
        page.dblclick("#submit")
        page.wait_for_url("**/demo/thanks")
    finally:
        page.close()
    assert len(_submits(_lead(local_stack, email))) == 1


def test_the_styled_contact_page_asks_for_no_favicon_and_shows_keyboard_focus(local_stack: LocalStack, page: Any):
    refused: list[str] = []
    page.on("response", lambda response: refused.append(response.url) if response.status >= 400 else None)
    _contact_page(page, local_stack)
    page.keyboard.press("Tab")  # the first link in the header
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.focus("#email")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    button = page.evaluate("(() => { const s = getComputedStyle(document.querySelector('#submit'));"
                           " return [s.backgroundColor, s.borderRadius]; })()")
    assert button == ["rgb(242, 169, 0)", "4px"]  # the page's own call-to-action colour
    screenshot(page, "demo-contact")
    assert refused == []
