"""A producer and three resellers on the local stack, in real time (a 20-second SLA), checked by hand.

Nordlys Solar hands its leads to three resellers by postcode (ids in alphabetical order, so the next reseller
after a decline or a reassignment is the next one after it):

* ``nord`` (8000-9999) never answers: when the SLA runs out each of its leads is taken from it and offered to the
  next reseller;
* ``oest`` (4000-7999) takes most of its leads, declines some, and reports its sales in bulk by keyed e-mail hash;
* ``syd`` (1000-3999) takes everything it gets from the e-mail links and reports outcomes with the "How did it
  go?" links.

Twenty leads come from two campaigns (spring: cost 3,000.00; summer: cost 1,000.00):

=====  ========  =========================================================================================
lead   campaign  what happens
=====  ========  =========================================================================================
O1-O5  spring    oest accepts in time; O1 won 15,000 (bulk), O2 won 12,000 (bulk), O3 lost (bulk)
O6     summer    oest accepts in time; won 6,000 (bulk)
O7     summer    oest declines → nord (never answers) → reassigned → syd accepts late; won 7,000 (link)
O8     summer    the same way to syd; lost (link)
S1-S4  spring    syd accepts in time; S1 won 20,000, S2 won 10,000, S3 lost (links)
S5-S8  summer    syd accepts in time; S5 won 8,000 (link)
N1-N2  spring    nord never answers → reassigned → oest accepts late; N1 won 9,000 (bulk)
N3     summer    nord never answers → oest declines it → syd accepts in time; won 5,000 (link)
N4     summer    nord never answers → oest lets it run out too: a gap
=====  ========  =========================================================================================

S1, O1 and N1 agreed on the form to share their details with the producer (``consent_share_with_producer``);
oest also reports one sale of a customer that never came from the producer (unmatched).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import LocalStack
from tests.e2e.test_link_pages import ADMIN_KEY, _offer, _send, _wait
from tests.e2e.test_outcome_links import _accept, _ask

pytestmark = pytest.mark.e2e

RUN = uuid.uuid4().hex[:6]
NORD, OEST, SYD = f"nord-{RUN}", f"oest-{RUN}", f"syd-{RUN}"
SPRING, SUMMER = f"spring-{RUN}", f"summer-{RUN}"
# Real seconds: N3 goes nord → oest (at 100%) → declined → syd, who must accept before the gap at 200%. At 10 s
# that chain did not fit on this session's machine (a gap, then 409 on syd's accept; at the earlier commits too).
SLA_SECONDS = 20


def _call(stack: LocalStack, method: str, path: str, body: Any = None, key: str = ADMIN_KEY) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(stack.base_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _post_form(stack: LocalStack, path: str, fields: str) -> int:
    request = urllib.request.Request(stack.base_url + path, data=fields.encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(answer.status)


class Producer:
    def __init__(self, stack: LocalStack):
        self.stack = stack
        self.keys: dict[str, dict[str, Any]] = {}
        self.leads: dict[str, str] = {}
        self.emails: dict[str, str] = {}

    def setup(self) -> None:
        journey = {
            "stages": ["awareness", "consideration", "decision", "customer"], "language": "da",
            "outcome_after": "PT2S", "channel_manager": "kanal@demo.dk",
            "handovers": [{
                "name": "to-resellers", "on": "form_submit",
                "route": {"strategy": "resellers", "match": "postcode"},
                "sla": {"accept_within": f"PT{SLA_SECONDS}S"},
                "escalation": [{"at": "100%", "action": "reassign"}, {"at": "200%", "action": "gap"}],
            }],
        }
        assert _call(self.stack, "PUT", "/admin/journey", journey)[0] == 200
        costs = {"currency": "DKK", "replace_all": False, "rows": [
            {"campaign": SPRING, "source": "google", "medium": "cpc", "from": _today(), "to": _today(),
             "amount": "3000.00"},
            {"campaign": SUMMER, "source": "google", "medium": "cpc", "from": _today(), "to": _today(),
             "amount": "1000.00"}]}
        status, answer = _call(self.stack, "PUT", "/admin/costs", costs)
        assert status == 200, answer
        for reseller, regions in ((NORD, ["8000-9999"]), (OEST, ["4000-7999"]), (SYD, ["1000-3999"])):
            status, created = _call(self.stack, "POST", "/admin/resellers", {
                "reseller_id": reseller, "name": reseller.split("-")[0].title() + " El", "regions": regions,
                "contacts": [f"salg@{reseller}.dk"]})
            assert status == 201, created
            self.keys[reseller] = created

    def lead(self, name: str, campaign: str, postcode: str, consent: bool = False) -> str:
        email = f"{name.lower()}-{RUN}@kunde.dk"
        page = f"{self.stack.base_url}/demo?utm_source=google&utm_medium=cpc&utm_campaign={campaign}"
        body: dict[str, Any] = {"email": email, "name": f"Kunde {name}", "company": f"{name} {email.split('@')[0]}",
                                "postcode": postcode, "page_url": page}
        if consent:
            body["consent_share_with_producer"] = True
        self.leads[name] = str(_send(self.stack, "POST", "/forms/demo", body)["lead_id"])
        self.emails[name] = email
        return self.leads[name]

    def reseller(self, reseller: str, action: str, name: str, body: Any = None) -> Any:
        status, answer = _call(self.stack, "POST", f"/reseller/leads/{self.leads[name]}/{action}", body or {},
                               key=self.keys[reseller]["api_key"])
        assert status == 200, (reseller, action, name, answer)
        return answer

    def held_by(self, reseller: str, name: str) -> bool:
        _, answer = _call(self.stack, "GET", "/reseller/leads", key=self.keys[reseller]["api_key"])
        return any(row["lead_id"] == self.leads[name] for row in answer["leads"])

    def syd_accepts(self, name: str) -> None:
        _, accept, _ = _offer(self.stack, self.emails[name], owner=f"salg@{SYD}.dk")
        _accept(self.stack, accept)

    def syd_reports(self, name: str, answer: str, fields: str) -> None:
        links = _ask(self.stack, self.emails[name])
        assert _post_form(self.stack, links[answer], fields) == 200


def _today() -> str:
    return time.strftime("%Y-%m-%d", time.gmtime())


def _hash(secret: str, email: str) -> str:
    return hmac.new(secret.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()


def _tell(stack: LocalStack) -> Producer:
    producer = Producer(stack)
    producer.setup()
    lead = producer.lead
    # Oest's leads first: it acts on them at once.
    for index in range(1, 9):
        lead(f"O{index}", SPRING if index <= 5 else SUMMER, f"{4000 + index}", consent=index == 1)
    for index in range(1, 7):
        producer.reseller(OEST, "accept", f"O{index}")
    producer.reseller(OEST, "decline", "O7", {"reason": "for langt væk"})
    producer.reseller(OEST, "decline", "O8", {"reason": "ingen kapacitet"})
    for index in range(1, 9):
        lead(f"S{index}", SPRING if index <= 4 else SUMMER, f"{2000 + index}", consent=index == 1)
        producer.syd_accepts(f"S{index}")
    for index in range(1, 5):
        lead(f"N{index}", SPRING if index <= 2 else SUMMER, f"{8000 + index}", consent=index == 1)

    # Nord never answers: at the SLA its leads go to oest, and O7 and O8 (nord's after oest declined) to syd.
    _wait("nord's leads reassigned to oest", lambda: all(producer.held_by(OEST, f"N{i}") for i in range(1, 5)),
          timeout=SLA_SECONDS * 3)
    producer.reseller(OEST, "accept", "N1")
    producer.reseller(OEST, "accept", "N2")
    producer.reseller(OEST, "decline", "N3", {"reason": "ingen montør ledig"})
    producer.syd_accepts("N3")
    for name in ("O7", "O8"):
        producer.syd_accepts(name)

    # Oest lets N4 run out as well: a gap.
    def gap() -> bool:
        timeline = stack.get(f"/leads/{producer.leads['N4']}")[1]["timeline"]
        return any(event["type"] == "gap" for event in timeline)

    _wait("N4's gap", gap, timeout=SLA_SECONDS * 3)

    # Syd reports by the "How did it go?" links, oest in bulk by keyed hash.
    for name, answer, fields in (("S1", "won", "value=20000"), ("S2", "won", "value=10000"),
                                 ("S3", "lost", "reason=price"), ("S5", "won", "value=8000"),
                                 ("N3", "won", "value=5000"), ("O7", "won", "value=7000"),
                                 ("O8", "lost", "reason=competitor")):
        producer.syd_reports(name, answer, fields)
    secret = producer.keys[OEST]["match_secret"]
    sales = [{"email_hash": _hash(secret, producer.emails[name]), "outcome": outcome, **({"value": value}
             if value else {})} for name, outcome, value in (("O1", "won", "15000"), ("O2", "won", "12000"),
                                                             ("O3", "lost", None), ("O6", "won", "6000"),
                                                             ("N1", "won", "9000"))]
    sales.append({"email_hash": _hash(secret, f"elsewhere-{RUN}@kunde.dk"), "outcome": "won", "value": "3000"})
    status, reported = _call(stack, "POST", "/reseller/sales", {"sales": sales}, key=producer.keys[OEST]["api_key"])
    assert status == 200 and (reported["recorded"], reported["unmatched"]) == (5, 1), reported

    # The reports follow from the change stream a moment later: wait until all twelve reports are in the feed.
    def settled() -> bool:
        ours = set(producer.leads.values())
        _, feed = _call(stack, "GET", "/producer/end-customers?limit=500")
        _, card = _call(stack, "GET", f"/reports/resellers?from={_today()}&to={_today()}")
        won = sum(row["won"] for row in card["resellers"] if row["reseller_id"] in (NORD, OEST, SYD))
        return len([item for item in feed["end_customers"] if item["lead_id"] in ours]) == 12 and won == 9

    _wait("the reports to take in every outcome", settled, timeout=20)
    return producer


@pytest.fixture(scope="module")
def producer(local_stack: LocalStack) -> Producer:
    return _tell(local_stack)


def _mine(rows: list[dict[str, Any]], key: str, names: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in rows if row[key] in names}


def test_the_reseller_scorecard_matches_the_hand_count(local_stack: LocalStack, producer: Producer):
    _, card = _call(local_stack, "GET", f"/reports/resellers?from={_today()}&to={_today()}")
    rows = _mine(card["resellers"], "reseller_id", (NORD, OEST, SYD))

    def figures(reseller: str) -> tuple[Any, ...]:
        row = rows[reseller]
        return tuple(row[name] for name in ("leads_received", "accepted_in_sla", "accepted_late", "declined",
                                            "reassigned", "gaps", "open", "won", "lost", "revenue", "win_rate",
                                            "won_per_lead", "unmatched_sales"))

    # nord: offered N1-N4 and (after oest's declines) O7, O8; took none, each taken from it at the SLA.
    assert figures(NORD) == (6, 0, 0, 0, 6, 0, 0, 0, 0, "0.00", None, 0.0, 0)
    # oest: O1-O8 and the rerouted N1-N4 = 12; in SLA O1-O6; late N1, N2 (a reassignment keeps the clock, which
    # had run out); declined O7, O8, N3; N4 ran out: a gap. Won O1, O2, O6, N1 = 42,000; lost O3: 4 of 5.
    assert figures(OEST) == (12, 6, 2, 3, 0, 1, 0, 4, 1, "42000.00", 0.8, 0.3333, 1)
    # syd: S1-S8, N3 (a decline gives a full clock: in SLA) and O7, O8 (rerouted with the clock run out: late).
    # Won S1, S2, S5, N3, O7 = 50,000; lost S3, O8: 5 of 7; 5 of 11 leads.
    assert figures(SYD) == (11, 9, 2, 0, 0, 0, 0, 5, 2, "50000.00", 0.7143, 0.4545, 0)
    assert rows[OEST]["time_to_accept_p50"] is not None and rows[NORD]["time_to_accept_p50"] is None


def test_the_producers_roi_counts_what_resellers_reported_per_campaign_and_per_reseller(
        local_stack: LocalStack, producer: Producer):
    _, by_campaign = _call(local_stack, "GET", f"/reports/roi?from={_today()}&to={_today()}&by=campaign")
    campaigns = _mine(by_campaign["marketing"]["groups"], "group", (SPRING, SUMMER))
    columns = ("cost", "leads", "won", "revenue", "cost_per_lead", "cost_per_won", "roi")

    # spring: O1-O5, S1-S4, N1, N2 = 11 leads; won S1 20,000 + S2 10,000 + O1 15,000 + O2 12,000 + N1 9,000 = 66,000
    # in 5 deals; 3,000/11 = 272.73 a lead, 600.00 a deal; (66,000 - 3,000)/3,000 = 21.
    assert tuple(campaigns[SPRING][c] for c in columns) == (
        "3000.00", "11.00", "5.00", "66000.00", "272.73", "600.00", 21.0)
    # summer: O6-O8, S5-S8, N3, N4 = 9; won S5 8,000 + N3 5,000 + O7 7,000 + O6 6,000 = 26,000 in 4;
    # 1,000/9 = 111.11, 250.00 a deal; (26,000 - 1,000)/1,000 = 25.
    assert tuple(campaigns[SUMMER][c] for c in columns) == (
        "1000.00", "9.00", "4.00", "26000.00", "111.11", "250.00", 25.0)

    _, by_reseller = _call(local_stack, "GET", f"/reports/roi?from={_today()}&to={_today()}&by=reseller")
    resellers = _mine(by_reseller["marketing"]["groups"], "group", (NORD, OEST, SYD))
    # Who took each lead first: oest N1, N2, O1-O6 (spring 7 of 11, summer 1 of 9); syd S1-S8, N3, O7, O8 (spring
    # 4 of 11, summer 7 of 9); nord none; N4 nobody. Cost shares, rounded to cents by largest remainder:
    # oest 3,000 × 7/11 = 1,909.09 + 1,000 × 1/9 = 111.11 → 2,020.20; syd 1,090.91 + 777.78 → 1,868.69.
    # ROI oest (42,000 - 2,020.20)/2,020.20 = 19.79; syd (50,000 - 1,868.69)/1,868.69 = 25.7567.
    assert NORD not in resellers
    assert tuple(resellers[OEST][c] for c in columns) == (
        "2020.20", "8.00", "4.00", "42000.00", "252.52", "505.05", 19.79)
    assert tuple(resellers[SYD][c] for c in columns) == (
        "1868.69", "11.00", "5.00", "50000.00", "169.88", "373.74", 25.7567)


def test_the_producers_feed_shows_contact_details_exactly_for_the_customers_who_agreed(
        local_stack: LocalStack, producer: Producer):
    ours = {lead_id: name for name, lead_id in producer.leads.items()}
    _, feed = _call(local_stack, "GET", "/producer/end-customers?limit=500")
    reports = [item for item in feed["end_customers"] if item["lead_id"] in ours]

    # oest reported O1, O2, O3, O6, N1 in bulk; syd S1, S2, S3, S5, N3, O7, O8 by link: 12 reports.
    assert sorted(ours[item["lead_id"]] for item in reports) == sorted(
        ["O1", "O2", "O3", "O6", "N1", "S1", "S2", "S3", "S5", "N3", "O7", "O8"])
    shown = {ours[item["lead_id"]]: item.get("email") for item in reports if item["shared"]}
    assert shown == {name: producer.emails[name] for name in ("S1", "O1", "N1")}
    assert all(item["email"] is None and item["name"] is None and item["postcode_area"]
               for item in reports if not item["shared"])
    by_lead = {ours[item["lead_id"]]: item for item in reports}
    assert (by_lead["N1"]["reseller"], by_lead["N1"]["value"]) == (OEST, "9000.00")
    assert (by_lead["O8"]["reseller"], by_lead["O8"]["outcome"]) == (SYD, "lost")


def test_the_report_page_shows_the_scorecard_to_a_manager_at_phone_and_desktop_size(
        local_stack: LocalStack, producer: Producer, page: Any):
    from tests.e2e.conftest import screenshot

    page.set_extra_http_headers({"Authorization": f"Bearer {ADMIN_KEY}"})
    answer = page.goto(f"{local_stack.base_url}/reports?tenant=demo&from={_today()}&to={_today()}")

    assert answer.status == 200
    section = page.locator("#resellers")
    assert section.locator("h2").inner_text() == "Forhandlere: hvem tager leadsene"
    rows = {cells[0]: cells[1:] for cells in (
        [cell.inner_text() for cell in row.locator("th, td").all()]
        for row in section.locator("#resellers-table tbody tr").all())}
    # The Danish page writes the same figures as the scorecard: oest received 12, 6 in time, 2 late, 3 declined,
    # none taken away, 1 gap; nord's 6 were all taken away.
    assert rows["Oest El"][:6] == ["12", "6", "2", "3", "0", "1"]
    assert rows["Nord El"][:6] == ["6", "0", "0", "0", "6", "0"]
    sales = {cells[0]: cells[1:] for cells in (
        [cell.inner_text() for cell in row.locator("th, td").all()]
        for row in section.locator("#resellers-sales tbody tr").all())}
    assert sales["Syd El"][1:5] == ["5", "2", "50.000", "71 %"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "no sideways scroll"
    screenshot(page, "report-resellers")
