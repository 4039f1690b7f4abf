"""A visitor in a real browser: campaign link → second page → contact form → a lead with its journey."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.local.stack import TABLE_NAME
from tests.e2e.conftest import LocalStack

pytestmark = pytest.mark.e2e

CAMPAIGN = "/demo?utm_source=newsletter&utm_medium=email&utm_campaign=spring-offer"


def _wait_for_lead(stack: LocalStack, email: str, pageviews: int, timeout: float = 15) -> dict[str, Any]:
    """Beacons are sent as the page unloads, so the last page view may arrive just after the form."""
    deadline = time.monotonic() + timeout
    lead: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status, found = stack.get(f"/leads?email={quote(email)}")
        if status == 200 and found["leads"]:
            status, lead = stack.get(f"/leads/{found['leads'][0]['lead_id']}")
            if [event["type"] for event in lead["timeline"]].count("pageview") >= pageviews:
                return lead
        time.sleep(0.3)
    raise AssertionError(f"lead {email} with {pageviews} page views did not appear; last seen: {lead}")


def test_visitor_from_a_campaign_link_becomes_a_lead_with_both_page_views_and_the_campaign(
    local_stack: LocalStack, browser: Any
):
    email = f"e2e-{uuid.uuid4().hex[:8]}@firma.dk"
    page = browser.new_page()
    try:
        # Given a visitor arriving from the newsletter campaign
        page.goto(local_stack.base_url + CAMPAIGN)
        page.wait_for_function("document.cookie.includes('et_vid=')")
        # When they move on to the contact page and send the form
        page.click("a[href='/demo/contact']")
        page.wait_for_url("**/demo/contact")
        page.wait_for_selector("#contact-form input[name=et_vid]", state="attached")
        page.fill("#name", "Mette Hansen")
        page.fill("#email", email)
        page.fill("#company", "Hansen ApS")
        page.fill("#message", "Vi vil gerne høre om solceller.")
        page.check("#consent_marketing")
        page.click("#submit")
        page.wait_for_url("**/demo/thanks")
    finally:
        page.close()

    # Then the lead carries both page views, the campaign, and the form
    lead = _wait_for_lead(local_stack, email, pageviews=2)
    urls = [event["url"] for event in lead["timeline"] if event["type"] == "pageview"]
    assert urls[0] == local_stack.base_url + CAMPAIGN
    assert any(url.endswith("/demo/contact") for url in urls)
    assert lead["first_touch"]["channel"] == "email"
    assert lead["first_touch"]["campaign"] == "spring-offer"
    assert lead["stage"] == "consideration"
    assert lead["lead_type"] == "marketing"
    assert lead["consent"]["marketing"]["granted"] is True
    assert "form_submit" in [event["type"] for event in lead["timeline"]]


def test_page_views_after_the_form_stay_with_the_lead_and_do_not_expire_as_anonymous_ones(
    local_stack: LocalStack, browser: Any
):
    email = f"e2e-{uuid.uuid4().hex[:8]}@firma.dk"
    page = browser.new_page()
    try:
        # Given a visitor who sends the contact form
        page.goto(local_stack.base_url + "/demo/contact")
        page.wait_for_selector("#contact-form input[name=et_vid]", state="attached")
        visitor = page.evaluate("localStorage.getItem('et_vid')")
        page.fill("#name", "Mette Hansen")
        page.fill("#email", email)
        page.click("#submit")
        page.wait_for_url("**/demo/thanks")
        # When they read on after the form
        page.click("a[href='/demo']")
        page.wait_for_url("**/demo")
        page.goto("about:blank")  # the page hides: its beacon goes
    finally:
        page.close()

    # Then every page view of theirs is the lead's: none has the anonymous visitors' expiry
    lead = _wait_for_lead(local_stack, email, pageviews=3)
    assert visitor in lead["visitors"]
    table, name = local_stack.dynamodb(), TABLE_NAME
    deadline, expiring = time.monotonic() + 20, None
    while time.monotonic() < deadline:
        views = table.query(TableName=name, KeyConditionExpression="pk = :pk AND begins_with(sk, :pv)",
                            ExpressionAttributeValues={":pk": {"S": f"T#demo#V#{visitor}"}, ":pv": {"S": "PV#"}})
        expiring = [item["sk"]["S"] for item in views["Items"] if "expires_at" in item]
        if len(views["Items"]) >= 3 and not expiring:
            break
        time.sleep(0.3)
    assert len(views["Items"]) >= 3 and expiring == [], views["Items"]


def test_global_privacy_control_means_no_cookie_no_page_views_and_no_visitor_on_the_lead(
    local_stack: LocalStack, browser: Any
):
    email = f"gpc-{uuid.uuid4().hex[:8]}@firma.dk"
    context = browser.new_context()
    context.add_init_script("Object.defineProperty(navigator, 'globalPrivacyControl', {get: () => true})")
    page = context.new_page()
    try:
        page.goto(local_stack.base_url + "/demo/contact?utm_source=newsletter&utm_medium=email")
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)  # give the async snippet its chance to (not) act
        assert page.locator("input[name=et_vid]").count() == 0
        page.fill("#email", email)
        page.click("#submit")
        page.wait_for_url("**/demo/thanks")
        assert not [cookie for cookie in context.cookies() if cookie["name"] == "et_vid"]
    finally:
        context.close()
    status, found = local_stack.get(f"/leads?email={quote(email)}")
    assert status == 200 and len(found["leads"]) == 1
    status, lead = local_stack.get(f"/leads/{found['leads'][0]['lead_id']}")
    assert lead["visitors"] == []
    assert [event["type"] for event in lead["timeline"]].count("pageview") == 0


def test_the_demo_tenant_cannot_be_read_with_the_other_tenants_key(local_stack: LocalStack):
    status, body = local_stack.get("/leads?stage=consideration", key="other-admin-key")
    assert status == 200 and all(lead["email"].startswith(("e2e-", "gpc-")) is False for lead in body["leads"])
