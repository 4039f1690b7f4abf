"""Ten days of Nordlys Solar's marketing through the HTTP API, and the funnel and ROI reports checked by hand.

The story (the clock starts Monday 23 November 2026, 09:30 UTC; the reports cover 23 November to 2 December):

* three Google Ads campaigns with costs: spring 3,000.00 and summer 1,500.00 over exactly the ten days of the
  range, autumn 500.00 over 28 November to 7 December (five of its ten days fall in the range: 250.00);
* a newsletter campaign (e-mail, no cost), visitors from Google's organic results and visitors typing the address;
* 30 leads: 26 marketing leads and 4 referrals (``referred_by``); three leads came by two touches on two days:
  Ole (spring ad, then the newsletter), Mette (summer ad, then the spring ad), Jens (organic, then the spring ad);
* seven visitors never become leads, three of them all autumn's: autumn is a dead end;
* ten hand-overs accepted by the two owners (round robin), six deals won, two lost, and Ole's deal corrected
  from 10,000 to 12,000 after the range has ended (cohorts: it still belongs to Ole's creation day).

Every expected figure below is a literal, worked out by hand in the comments next to it.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import DEMO_KEY, DEMO_ORIGIN, Api, json_body

FROM, TO = "2026-11-23", "2026-12-02"
RANGE = f"from={FROM}&to={TO}"
DAY_0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
OWNERS = ("sales-a@demo.dk", "sales-b@demo.dk")
JOURNEY: dict[str, Any] = {
    "stages": ["awareness", "consideration", "decision", "customer"],
    "departments": {"awareness": "brand", "consideration": "product marketing", "decision": "sales"},
    "handovers": [{
        "name": "marketing-to-sales",
        "on": "form_submit",
        "route": {"strategy": "round_robin", "owners": list(OWNERS)},
        "sla": {"accept_within": "PT4H"},
    }],
}
COSTS = {"currency": "DKK", "rows": [
    {"campaign": "spring", "source": "google", "medium": "cpc", "from": "2026-11-23", "to": "2026-12-02",
     "amount": "3000.00"},
    {"campaign": "summer", "source": "google", "medium": "cpc", "from": "2026-11-23", "to": "2026-12-02",
     "amount": "1500.00"},
    {"campaign": "autumn", "source": "google", "medium": "cpc", "from": "2026-11-28", "to": "2026-12-07",
     "amount": "500.00"},
]}

SPRING = f"{DEMO_ORIGIN}/solceller?utm_source=google&utm_medium=cpc&utm_campaign=spring"
SUMMER = f"{DEMO_ORIGIN}/batteri?utm_source=google&utm_medium=cpc&utm_campaign=summer"
AUTUMN = f"{DEMO_ORIGIN}/varmepumpe?utm_source=google&utm_medium=cpc&utm_campaign=autumn"
NEWSLETTER = f"{DEMO_ORIGIN}/nyhedsbrev?utm_source=newsletter&utm_medium=email&utm_campaign=nyhedsbrev-nov"
HOME = f"{DEMO_ORIGIN}/"
GOOGLE = "https://www.google.com/"
# A landing: the URL and its referrer.
ORGANIC = (HOME, GOOGLE)
TYPED = (HOME, "")
AD_SPRING, AD_SUMMER, AD_AUTUMN, MAIL = (SPRING, ""), (SUMMER, ""), (AUTUMN, ""), (NEWSLETTER, "")


def _admin(api: Api, method: str, path: str, body: Any = None, key: str = DEMO_KEY,
           accept: str = "application/json") -> Any:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Accept": accept}
    return api.client.http.request(method, path, headers=headers,
                                   body=json.dumps(body).encode() if body is not None else b"")


class Story:
    """Visitors, leads, hand-overs and outcomes told through the API, by the people's names."""

    def __init__(self, api: Api):
        self.api = api
        self.visitors: dict[str, str] = {}
        self.leads: dict[str, str] = {}
        self.owner_keys: dict[str, str] = {}
        self.created: list[str] = []  # lead names in the order the leads came in (the round robin's order)

    def on_day(self, day: int) -> None:
        """10:00 UTC on the range's ``day``-th day (0 = Monday 23 November); the clock only moves forward."""
        target = DAY_0 + timedelta(days=day)
        assert target > self.api.clock(), "the story only goes forward"
        self.api.clock.advance(seconds=(target - self.api.clock()).total_seconds())

    def visit(self, name: str, landing: tuple[str, str]) -> None:
        vid = self.visitors.setdefault(name, "v" + uuid.uuid4().hex[:20])
        url, ref = landing
        self.api.clock.advance(minutes=1)
        event = {"type": "pageview", "url": url, "ref": ref, "title": "Side", "ts": None, "id": uuid.uuid4().hex[:12]}
        response = self.api.client.http.post(
            "/collect", headers={"Content-Type": "text/plain", "Origin": DEMO_ORIGIN},
            body=json.dumps({"site": "demo", "vid": vid, "events": [event]}))
        assert response.status_code == 202, response.body

    def lead(self, name: str, *landings: tuple[str, str], referred_by: str | None = None) -> None:
        """``name`` lands (each landing a visit of its own) and sends the demo form from the same browser."""
        for landing in landings:
            self.visit(name, landing)
        self.api.clock.advance(minutes=2)
        form: dict[str, Any] = {"email": f"{name.lower()}-{uuid.uuid4().hex[:6]}@kunde.dk", "name": name}
        if name in self.visitors:
            form["et_vid"] = self.visitors[name]
        if referred_by:
            form["referred_by"] = referred_by
        response = self.api.client.http.post(
            "/forms/demo", headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN},
            body=json.dumps(form))
        assert response.status_code == 201, response.body
        self.leads[name] = str(json_body(response)["lead_id"])
        self.created.append(name)

    def accept(self, name: str) -> str:
        """The owner the round robin gave ``name``'s hand-over accepts it; answers that owner."""
        self.api.clock.advance(minutes=5)
        (handover,) = json_body(_admin(self.api, "GET", f"/leads/{self.leads[name]}"))["handovers"]
        owner = str(handover["owner"])
        if owner not in self.owner_keys:
            response = _admin(self.api, "POST", "/admin/owners", {"owner": owner, "language": "da"})
            assert response.status_code == 201, response.body
            self.owner_keys[owner] = str(json_body(response)["user_key"])
        response = _admin(self.api, "POST", f"/handovers/{handover['handover_id']}/accept", {},
                          key=self.owner_keys[owner])
        assert response.status_code == 200, response.body
        return owner

    def outcome(self, name: str, outcome: str, value: str | None = None) -> None:
        self.api.clock.advance(minutes=5)
        body = {"outcome": outcome, **({"value": value} if value else {})}
        response = _admin(self.api, "POST", f"/leads/{self.leads[name]}/outcome", body)
        assert response.status_code == 200, response.body


def _report(api: Api, kind: str, query: str) -> dict[str, Any]:
    response = _admin(api, "GET", f"/reports/{kind}?{RANGE}&{query}")
    assert response.status_code == 200, response.body
    return dict(json_body(response))


def _funnel_rows(report: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """Per group (and ``(total)``): visitors, leads, the leads reaching each stage, and per transition its
    conversion and median seconds, in stage order."""
    def row(figures: dict[str, Any]) -> tuple[Any, ...]:
        reached = tuple(figures["reached"][stage] for stage in report["stages"])
        moves = tuple(part for t in figures["transitions"] for part in (t["conversion"], t["median_seconds"]))
        return (figures["visitors"], figures["leads"], *reached, *moves)
    return {"(total)": row(report["total"]), **{g["group"]: row(g) for g in report["groups"]}}


def _roi_rows(section: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """Per group (and ``(total)``): cost, visitors, leads, won, revenue, cost per lead, cost per won deal, ROI."""
    columns = ("cost", "visitors", "leads", "won", "revenue", "cost_per_lead", "cost_per_won", "roi")
    rows = {"(total)": tuple(section["total"][c] for c in columns)}
    rows.update({g["group"]: tuple(g[c] for c in columns) for g in section["groups"]})
    return rows


def _tell(api: Api) -> Story:
    """The ten days, as the module docstring tells them."""
    assert _admin(api, "PUT", "/admin/journey", JOURNEY).status_code == 200
    assert _admin(api, "PUT", "/admin/costs", COSTS).status_code == 200
    story = Story(api)
    lead, visit = story.lead, story.visit

    # Day 0, Monday 23 November.
    story.on_day(0)
    visit("X1", AD_SPRING)  # clicks the spring ad and leaves
    lead("S1", AD_SPRING)
    lead("S2", AD_SPRING)
    lead("U1", AD_SUMMER)
    lead("E1", MAIL)
    lead("O1", ORGANIC)
    lead("D1", TYPED)
    visit("Ole", AD_SPRING)  # Ole, Mette and Jens look today and come back on Wednesday
    visit("Mette", AD_SUMMER)
    visit("Jens", ORGANIC)

    # Day 1, Tuesday.
    story.on_day(1)
    lead("S3", AD_SPRING)
    lead("S4", AD_SPRING)
    lead("U2", AD_SUMMER)
    lead("E2", MAIL)
    lead("R1", TYPED, referred_by="Karen Holm")
    visit("Y1", TYPED)

    # Day 2, Wednesday: the three come back by another touch and send the form.
    story.on_day(2)
    lead("Ole", MAIL)
    lead("Mette", AD_SPRING)
    lead("Jens", AD_SPRING)
    lead("S5", AD_SPRING)
    lead("U3", AD_SUMMER)
    lead("O2", ORGANIC)
    lead("D2", TYPED)
    lead("R2", AD_SPRING, referred_by="Peter Lund")

    # Day 5, Saturday 28 November: autumn starts.
    story.on_day(5)
    visit("A1", AD_AUTUMN)
    visit("A2", AD_AUTUMN)
    lead("S6", AD_SPRING)
    lead("S7", AD_SPRING)
    lead("U4", AD_SUMMER)
    lead("E3", MAIL)
    lead("O3", ORGANIC)
    lead("D3", TYPED)
    lead("R3", ORGANIC, referred_by="Karen Holm")
    visit("X2", AD_SPRING)

    # Day 7, Monday 30 November.
    story.on_day(7)
    visit("A3", AD_AUTUMN)
    lead("S8", AD_SPRING)
    lead("U5", AD_SUMMER)
    lead("E4", MAIL)
    lead("R4", referred_by="Sofie Berg")  # a referral with no visit at all: phoned and was typed in

    # Day 8: ten hand-overs accepted, in the order the leads came in.
    story.on_day(8)
    for name in ("S1", "S2", "U1", "E1", "O1", "D1", "S3", "Ole", "Mette", "R2"):
        story.accept(name)

    # Day 9, Wednesday 2 December: six deals won, two lost.
    story.on_day(9)
    story.outcome("S1", "won", "20000")
    story.outcome("S2", "won", "15000")
    story.outcome("Ole", "won", "10000")
    story.outcome("U1", "won", "8000")
    story.outcome("Mette", "won", "9000")
    story.outcome("R2", "won", "5000")
    story.outcome("S3", "lost")
    story.outcome("O1", "lost")

    # Saturday 5 December, after the range: Ole's deal was bigger than first reported.
    story.on_day(12)
    story.outcome("Ole", "won", "12000")
    return story


@pytest.fixture
def story(api: Api) -> Story:
    return _tell(api)


# How long each accepted lead waited, form to accept (day 8), and each won deal, accept to outcome (day 9), from
# the clock of the story (each visit +1 min, each form +2 min after its visit, each accept and outcome +5 min):
#
#   lead   form          accept        waited          kept (3 significant figures)   won after
#   S1     d0 10:04      d8 10:05      8d  1m 691,260  691,000                         d9 10:05  86,400
#   S2     d0 10:07      d8 10:10      8d  3m 691,380  691,000                         d9 10:10  86,400
#   U1     d0 10:10      d8 10:15      8d  5m 691,500  692,000 (691.5 rounds to even)  d9 10:20  86,700
#   E1     d0 10:13      d8 10:20      8d  7m 691,620  692,000
#   O1     d0 10:16      d8 10:25      8d  9m 691,740  692,000                         (lost)
#   D1     d0 10:19      d8 10:30      8d 11m 691,860  692,000
#   S3     d1 10:03      d8 10:35      7d 32m 606,720  607,000                         (lost)
#   Ole    d2 10:03      d8 10:40      6d 37m 520,620  521,000                         d9 10:15  84,900
#   Mette  d2 10:06      d8 10:45      6d 39m 520,740  521,000                         d9 10:25  85,200
#   R2     d2 10:24      d8 10:50      6d 26m 519,960  520,000                         d9 10:30  85,200
#
# A median is the nearest rank: the ceil(n/2)-th of the n sorted times. A lead is grouped by its last non-direct
# touch when it became a lead: Ole (spring, then the newsletter) is the newsletter's, Mette (summer, then spring)
# and Jens (organic, then spring) are spring's. The round robin gave sales-a the 1st, 3rd, 5th, ... lead in
# story.created, so of the accepted ten sales-a has S1, U1, O1, S3, Mette, R2 and sales-b has S2, E1, D1, Ole.


def test_funnel_counts_visitors_leads_stages_and_owned_transitions_as_counted_by_hand(api: Api, story: Story):
    by_campaign = _report(api, "funnel", "by=campaign")

    assert [(t["from"], t["to"], t["department"]) for t in by_campaign["transitions"]] == [
        ("awareness", "consideration", "brand"),
        ("consideration", "decision", "product marketing"),
        ("decision", "customer", "sales"),
    ]
    # Visitor-days by the first landing of the day: day 0 ten (X1 S1 S2 U1 E1 O1 D1 Ole Mette Jens), day 1 six
    # (S3 S4 U2 E2 R1 Y1), day 2 eight, day 5 ten, day 7 four (R4 never visited): 38. Spring: X1 S1 S2 Ole |
    # S3 S4 | Mette Jens S5 R2 | S6 S7 X2 | S8 = 14; summer: U1 Mette | U2 | U3 | U4 | U5 = 6; the newsletter:
    # E1 E2 Ole E3 E4 = 5; autumn A1 A2 A3 = 3; no campaign: O1 D1 Jens R1 Y1 O2 D2 O3 D3 R3 = 10.
    # Leads: spring S1-S8 + Mette, Jens, R2 = 11; summer U1-U5 = 5; newsletter E1-E4 + Ole = 5; none: O1-O3,
    # D1-D3, R1, R3, R4 = 9. Every lead is in consideration from its form; the accepted ten reach decision.
    assert _funnel_rows(by_campaign) == {
        # group          visitors leads aware consid decision customer  a→c        c→d                d→c
        "(total)":        (38, 30, 30, 30, 10, 6, 1.0, 0.0, 0.3333, 691000.0, 0.6, 85200.0),
        # spring: decision S1 S2 S3 Mette R2 (sorted 520k 521k 607k 691k 691k: 3rd), won S1 S2 Mette R2
        # (85.2k 85.2k 86.4k 86.4k: 2nd)
        "spring":         (14, 11, 11, 11, 5, 4, 1.0, 0.0, 0.4545, 607000.0, 0.8, 85200.0),
        "summer":         (6, 5, 5, 5, 1, 1, 1.0, 0.0, 0.2, 692000.0, 1.0, 86700.0),  # U1
        "nyhedsbrev-nov": (5, 5, 5, 5, 2, 1, 1.0, 0.0, 0.4, 521000.0, 0.5, 84900.0),  # E1 and Ole; Ole won
        "autumn":         (3, 0, 0, 0, 0, 0, None, None, None, None, None, None),
        "(none)":         (10, 9, 9, 9, 2, 0, 1.0, 0.0, 0.2222, 692000.0, 0.0, None),  # O1 and D1, none won
    }
    assert by_campaign["dead_ends"] == {
        "no_leads": [{"by": "campaign", "group": "autumn", "visitors": 3},
                     {"by": "landing_page", "group": "/varmepumpe", "visitors": 3}],
        "no_decision": [],
    }

    # Channels: paid search is spring + summer + autumn (visitors 14 + 6 + 3); Jens's lead is paid search (his
    # last touch), so organic search has O1-O3 and the referral R3, and direct D1-D3, R1 and R4.
    assert _funnel_rows(_report(api, "funnel", "by=channel")) == {
        "(total)":        (38, 30, 30, 30, 10, 6, 1.0, 0.0, 0.3333, 691000.0, 0.6, 85200.0),
        # decision S1 S2 U1 S3 Mette R2 (520k 521k 607k 691k 691k 692k: 3rd), won S1 S2 U1 Mette R2
        # (85.2k 85.2k 86.4k 86.4k 86.7k: 3rd)
        "paid_search":    (23, 16, 16, 16, 6, 5, 1.0, 0.0, 0.375, 607000.0, 0.8333, 86400.0),
        "email":          (5, 5, 5, 5, 2, 1, 1.0, 0.0, 0.4, 521000.0, 0.5, 84900.0),
        "organic_search": (5, 4, 4, 4, 1, 0, 1.0, 0.0, 0.25, 692000.0, 0.0, None),  # O1 Jens(d0) O2 O3 R3
        "direct":         (5, 5, 5, 5, 1, 0, 1.0, 0.0, 0.2, 692000.0, 0.0, None),  # D1 R1 Y1 D2 D3
    }

    # Referrals apart: R1-R4, of which R2 was accepted and won. Lead types have no visitors of their own.
    assert _funnel_rows(_report(api, "funnel", "by=lead_type")) == {
        "(total)":   (38, 30, 30, 30, 10, 6, 1.0, 0.0, 0.3333, 691000.0, 0.6, 85200.0),
        # nine accepted without R2 (521k 521k 607k 691k 691k 692k ×4: 5th); won S1 S2 U1 Ole Mette
        # (84.9k 85.2k 86.4k 86.4k 86.7k: 3rd)
        "marketing": (None, 26, 26, 26, 9, 5, 1.0, 0.0, 0.3462, 691000.0, 0.5556, 86400.0),
        "referral":  (None, 4, 4, 4, 1, 1, 1.0, 0.0, 0.25, 520000.0, 1.0, 85200.0),
    }

    # Owners hold a lead from its accept on: every lead they hold reached decision; the wait before them is
    # the wait for them (form to accept), and no owner held a lead while it entered consideration.
    assert _funnel_rows(_report(api, "funnel", "by=owner")) == {
        "(total)":         (38, 30, 30, 30, 10, 6, 1.0, 0.0, 0.3333, 691000.0, 0.6, 85200.0),
        # S1 U1 O1 S3 Mette R2 (520k 521k 607k 691k 692k 692k: 3rd); won S1 U1 Mette R2 (85.2k 85.2k 86.4k
        # 86.7k: 2nd)
        "sales-a@demo.dk": (None, 6, 6, 6, 6, 4, 1.0, None, 1.0, 607000.0, 0.6667, 85200.0),
        # S2 E1 D1 Ole (521k 691k 692k 692k: 2nd); won S2 Ole (84.9k 86.4k: 1st)
        "sales-b@demo.dk": (None, 4, 4, 4, 4, 2, 1.0, None, 1.0, 691000.0, 0.5, 84900.0),
    }


# The costs in the range: spring 3,000.00 and summer 1,500.00 (all ten days), autumn 5 × 50.00 = 250.00; in all
# 4,750.00. Won marketing deals: S1 20,000, S2 15,000, Ole 12,000 (corrected from 10,000), U1 8,000, Mette 9,000
# = 64,000 in five deals; the referral R2 won 5,000 and carries no cost. The two-touch leads are credited
#   first touch: Ole spring, Mette summer, Jens none;   last touch: Ole newsletter, Mette spring, Jens spring;
#   linear: each half and half.
# Every other lead has one touch (or none: direct). ROI = (revenue - cost) / cost.
def test_roi_per_campaign_and_channel_under_each_model_matches_the_hand_calculation(api: Api, story: Story):
    first = _report(api, "roi", "by=campaign&model=first_touch")
    assert first["currency"] == "DKK"
    assert _roi_rows(first["marketing"]) == {
        # 26 leads, 5 won: 4,750/26 = 182.69 a lead, 4,750/5 = 950 a deal, (64,000 - 4,750)/4,750 = 12.4737
        "(total)":        ("4750.00", 38, "26.00", "5.00", "64000.00", "182.69", "950.00", 12.4737),
        # S1-S8 + Ole = 9 leads; won S1, S2, Ole: 47,000; 3,000/9 = 333.33; (47,000 - 3,000)/3,000 = 14.6667
        "spring":         ("3000.00", 14, "9.00", "3.00", "47000.00", "333.33", "1000.00", 14.6667),
        # U1-U5 + Mette = 6; won U1, Mette: 17,000; 1,500/6 = 250; 1,500/2 = 750; 15,500/1,500 = 10.3333
        "summer":         ("1500.00", 6, "6.00", "2.00", "17000.00", "250.00", "750.00", 10.3333),
        "nyhedsbrev-nov": ("0.00", 5, "4.00", "0.00", "0.00", None, None, None),  # E1-E4; no cost, no ROI
        "autumn":         ("250.00", 3, "0.00", "0.00", "0.00", None, None, -1.0),  # all cost, nothing back
        "(none)":         ("0.00", 10, "7.00", "0.00", "0.00", None, None, None),  # O1-O3, D1-D3, Jens
    }
    # R1 (typed), R3 (organic), R4 (no visit) have no campaign; R2 came by the spring ad.
    assert _roi_rows(first["referral"]) == {
        "(total)": ("0.00", None, "4.00", "1.00", "5000.00", None, None, None),
        "(none)":  ("0.00", None, "3.00", "0.00", "0.00", None, None, None),
        "spring":  ("0.00", None, "1.00", "1.00", "5000.00", None, None, None),
    }

    last = _report(api, "roi", "by=campaign&model=last_touch")
    assert _roi_rows(last["marketing"]) == {
        "(total)":        ("4750.00", 38, "26.00", "5.00", "64000.00", "182.69", "950.00", 12.4737),
        # S1-S8 + Mette + Jens = 10; won S1, S2, Mette: 44,000; 300 a lead; 41,000/3,000 = 13.6667
        "spring":         ("3000.00", 14, "10.00", "3.00", "44000.00", "300.00", "1000.00", 13.6667),
        # U1-U5; won U1: 8,000; 1,500/5 = 300; 6,500/1,500 = 4.3333
        "summer":         ("1500.00", 6, "5.00", "1.00", "8000.00", "300.00", "1500.00", 4.3333),
        "nyhedsbrev-nov": ("0.00", 5, "5.00", "1.00", "12000.00", None, None, None),  # E1-E4 + Ole, Ole's deal
        "autumn":         ("250.00", 3, "0.00", "0.00", "0.00", None, None, -1.0),
        "(none)":         ("0.00", 10, "6.00", "0.00", "0.00", None, None, None),  # O1-O3, D1-D3
    }

    linear = _report(api, "roi", "by=campaign&model=linear")
    assert _roi_rows(linear["marketing"]) == {
        "(total)":        ("4750.00", 38, "26.00", "5.00", "64000.00", "182.69", "950.00", 12.4737),
        # 8 + ½ Ole + ½ Mette + ½ Jens = 9.5 leads; won S1 + S2 + ½ Ole + ½ Mette = 3; revenue 20,000 + 15,000 +
        # 6,000 + 4,500 = 45,500; 3,000/9.5 = 315.79; 3,000/3 = 1,000; 42,500/3,000 = 14.1667
        "spring":         ("3000.00", 14, "9.50", "3.00", "45500.00", "315.79", "1000.00", 14.1667),
        # 5 + ½ Mette = 5.5; won U1 + ½ Mette = 1.5; 8,000 + 4,500 = 12,500; 1,500/5.5 = 272.73;
        # 1,500/1.5 = 1,000; 11,000/1,500 = 7.3333
        "summer":         ("1500.00", 6, "5.50", "1.50", "12500.00", "272.73", "1000.00", 7.3333),
        "nyhedsbrev-nov": ("0.00", 5, "4.50", "0.50", "6000.00", None, None, None),  # 4 + ½ Ole; ½ of 12,000
        "autumn":         ("250.00", 3, "0.00", "0.00", "0.00", None, None, -1.0),
        "(none)":         ("0.00", 10, "6.50", "0.00", "0.00", None, None, None),  # 6 + ½ Jens
    }

    by_channel = _report(api, "roi", "by=channel&model=linear")
    assert _roi_rows(by_channel["marketing"]) == {
        "(total)":        ("4750.00", 38, "26.00", "5.00", "64000.00", "182.69", "950.00", 12.4737),
        # spring + summer + autumn cost 4,750; leads 8 + 5 + Mette (1) + ½ Ole + ½ Jens = 15; won S1 S2 U1 Mette
        # + ½ Ole = 4.5; 20,000 + 15,000 + 8,000 + 9,000 + 6,000 = 58,000; 4,750/15 = 316.67; 4,750/4.5 =
        # 1,055.56; 53,250/4,750 = 11.2105
        "paid_search":    ("4750.00", 23, "15.00", "4.50", "58000.00", "316.67", "1055.56", 11.2105),
        "email":          ("0.00", 5, "4.50", "0.50", "6000.00", None, None, None),
        "organic_search": ("0.00", 5, "3.50", "0.00", "0.00", None, None, None),  # O1-O3 + ½ Jens
        "direct":         ("0.00", 5, "3.00", "0.00", "0.00", None, None, None),  # D1-D3
    }
    assert _roi_rows(by_channel["referral"]) == {
        "(total)":        ("0.00", None, "4.00", "1.00", "5000.00", None, None, None),
        "direct":         ("0.00", None, "2.00", "0.00", "0.00", None, None, None),  # R1, R4
        "organic_search": ("0.00", None, "1.00", "0.00", "0.00", None, None, None),  # R3
        "paid_search":    ("0.00", None, "1.00", "1.00", "5000.00", None, None, None),  # R2
    }

    # The spreadsheet a manager downloads says the same.
    response = _admin(api, "GET", f"/reports/roi?{RANGE}&by=campaign&model=linear", accept="text/csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    lines = {(row["lead_type"], row["campaign"]): row for row in csv.DictReader(io.StringIO(response.body.decode()))}
    assert lines["marketing", "spring"] == {
        "lead_type": "marketing", "campaign": "spring", "cost": "3000.00", "visitors": "14", "leads": "9.50",
        "won": "3.00", "revenue": "45500.00", "cost_per_lead": "315.79", "cost_per_won": "1000.00",
        "roi": "14.1667", "currency": "DKK", "model": "linear"}
    assert lines["referral", "(total)"]["revenue"] == "5000.00"
    assert len(lines) == 6 + 3
