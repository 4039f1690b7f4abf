"""A manager in a real browser, at a phone and a desktop viewport: asks for a sign-in link, opens it from the
e-mail the stack printed, reads the report page (and its print version), and signs out; screenshots under
test-artifacts/."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.local.seed import DEMO_JOURNEY
from tests.e2e.conftest import LocalStack, screenshot
from tests.e2e.test_link_pages import _wait

pytestmark = pytest.mark.e2e

ADMIN_KEY = "demo-admin-key"
RULE = "=" * 72
SIGN_IN_LINK = re.compile(r"https?://[^/\s]+(/reports/sign-in/link\?token=[A-Za-z0-9_.%-]+)")


def _send(stack: LocalStack, method: str, path: str, body: Any) -> Any:
    request = urllib.request.Request(stack.base_url + path, data=json.dumps(body).encode(), method=method,
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {ADMIN_KEY}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def _manager(stack: LocalStack) -> str:
    """A manager of their own for this test (the demo journey's, plus this one), and a lead to report on."""
    manager = f"chef-{uuid.uuid4().hex[:8]}@demo.dk"
    journey = json.loads(json.dumps(DEMO_JOURNEY))
    journey["managers"] = [*journey.get("managers", []), manager]
    _send(stack, "PUT", "/admin/journey", journey)
    today = datetime.now(UTC).date()
    _send(stack, "PUT", "/admin/costs", [{"campaign": "spring-offer", "source": "newsletter", "medium": "email",
                                          "from": str(today - timedelta(days=10)),
                                          "to": str(today + timedelta(days=10)), "amount": 2100}])
    email = f"rapport-{uuid.uuid4().hex[:8]}@kunde.dk"
    lead = _send(stack, "POST", "/forms/demo", {
        "email": email, "name": "Mette Hansen", "company": "Hansen ApS",
        "page_url": f"{stack.base_url}/demo?utm_source=newsletter&utm_medium=email&utm_campaign=spring-offer"})
    _send(stack, "POST", f"/leads/{lead['lead_id']}/outcome", {"outcome": "won", "value": 25000})
    return manager


def _sign_in_link(stack: LocalStack, manager: str) -> str:
    def find() -> str | None:
        for block in stack.output().split(RULE + "\n\n"):
            if re.search(rf"E-MAIL\s+to {re.escape(manager)}\b", block):
                link = SIGN_IN_LINK.search(block)
                if link:
                    return link.group(1)
        return None

    found: str = _wait(f"a sign-in e-mail to {manager}", find)
    return found


def test_a_manager_signs_in_from_the_emailed_link_reads_and_prints_the_report(local_stack: LocalStack, page: Any):
    manager = _manager(local_stack)

    # The link the admin shares: the sign-in page knows the tenant and asks only for the address.
    answer = page.goto(local_stack.base_url + "/reports?tenant=demo")
    assert answer.status == 200 and answer.headers["cache-control"] == "no-store"
    assert page.locator("h1").inner_text() == "Log ind på rapporterne"
    screenshot(page, "report-sign-in")
    page.fill("#email", manager)
    page.get_by_role("button", name="Send mig et link").click()
    assert page.locator("h1").inner_text() == "Se i din indbakke"
    screenshot(page, "report-sign-in-sent")

    # The e-mail's link shows a button; pressing it signs in and opens the report.
    link = _sign_in_link(local_stack, manager)
    page.goto(local_stack.base_url + link)
    assert manager in page.locator("main").inner_text()
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(re.compile(r"/reports$"))
    assert page.locator("h1").inner_text() == "Sådan går det med jeres leads"
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "lt_reports"]
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/reports"
    assert page.evaluate("document.cookie") == ""  # HttpOnly: no script can read the session

    # Every chart is drawn, named for screen readers, and has its figures in a table.
    for section in ("funnel", "roi-channel", "roi-campaign", "sla", "over-time"):
        assert page.locator(f"#{section}").is_visible(), section
    charts = page.locator('svg[role="img"]')
    assert charts.count() == 5  # the funnel, cost and revenue per channel and per campaign, owners, over time
    for index in range(charts.count()):
        assert (charts.nth(index).locator("title").text_content() or "").strip()
    assert "ejes af" in page.locator("#funnel").inner_text()
    assert "spring-offer" in page.locator("#roi-campaign").inner_text()
    no_overflow = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_overflow, "the page must not scroll sideways"
    screenshot(page, "report-page")

    # Printed: no navigation or filters, the charts keep their colours.
    page.emulate_media(media="print")
    assert not page.locator("nav").is_visible() and not page.locator("form.filters").is_visible()
    fill = page.evaluate("getComputedStyle(document.querySelector('#funnel rect.sw-stage')).fill")
    assert fill == "rgb(10, 79, 150)"
    screenshot(page, "report-page-print")
    page.emulate_media(media="screen")

    # Signing out ends the session: the page asks for the address again, and the link cannot be used twice.
    page.get_by_role("button", name="Log ud").click()
    page.wait_for_url(re.compile(r"/reports\?tenant=demo$"))
    assert page.locator("h1").inner_text() == "Log ind på rapporterne"
    assert not [c for c in page.context.cookies() if c["name"] == "lt_reports"]
    again = page.goto(local_stack.base_url + link)
    assert again.status == 409 and page.locator("h1").inner_text() == "Linket er brugt"
    screenshot(page, "report-link-used")
