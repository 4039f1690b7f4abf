"""A lead keeps its touches: bounded, in time order, merged without duplicates, and creditable."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from chalicelib.domain.attribution import DIRECT, Landing, Touch
from chalicelib.domain.credit import credit
from chalicelib.domain.leads import (
    MAX_TOUCHES,
    LeadOutcome,
    LeadTouch,
    Submission,
    apply_submission,
    conversion_of,
    lead_touches,
)

SITE = "https://solar.dk"
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def _ids():
    count = iter(range(1000))
    return lambda: f"ev{next(count)}"


def _at(day: int) -> str:
    return f"2026-03-{day:02d}T12:00:00.000Z"


def _campaign(name: str, day: int, page: str = "/") -> Landing:
    return Landing(url=f"{SITE}{page}?utm_source=google&utm_medium=cpc&utm_campaign={name}", at=_at(day))


def test_each_campaign_landing_is_a_touch_in_time_order_with_its_landing_page():
    touches = lead_touches((), [_campaign("spring", 1, "/solceller"), _campaign("summer", 8)], _at(15))

    assert [touch.as_dict() for touch in touches] == [
        {"at": _at(1), "channel": "paid_search", "source": "google", "medium": "cpc", "campaign": "spring",
         "landing_page": "/solceller"},
        {"at": _at(1 + 7), "channel": "paid_search", "source": "google", "medium": "cpc", "campaign": "summer",
         "landing_page": "/"},
    ]


def test_external_referrer_counts_but_direct_visits_and_navigation_do_not():
    landings = [
        Landing(url=f"{SITE}/", at=_at(1)),  # typed the address: direct
        Landing(url=f"{SITE}/blog", referrer="https://www.google.com/", at=_at(2)),
        Landing(url=f"{SITE}/priser", referrer=f"{SITE}/blog", at=_at(3)),  # navigation inside the site
        Landing(url=f"{SITE}/kontakt"),  # the form's own page, no campaign
    ]

    touches = lead_touches((), landings, _at(4))

    assert [(touch.at, touch.touch.channel, touch.landing_page) for touch in touches] == [
        (_at(2), "organic_search", "/blog")]


def test_the_forms_page_with_a_campaign_is_a_touch_at_the_submission_time():
    touches = lead_touches((), [Landing(url=f"{SITE}/kontakt?utm_source=newsletter&utm_campaign=maj")], _at(9))

    assert [(touch.at, touch.touch.channel, touch.landing_page) for touch in touches] == [(_at(9), "email", "/kontakt")]


def test_touches_merge_across_submissions_without_duplicates_and_in_time_order():
    held = lead_touches((), [_campaign("spring", 1), _campaign("autumn", 20)], _at(21))

    merged = lead_touches(held, [_campaign("spring", 1), _campaign("summer", 10), _campaign("autumn", 20)], _at(22))

    assert [touch.touch.campaign for touch in merged] == ["spring", "summer", "autumn"]
    assert lead_touches(merged, [_campaign("spring", 1)], _at(23)) == merged


def test_the_same_time_on_another_landing_page_is_another_touch():
    touches = lead_touches((), [_campaign("spring", 1, "/a"), _campaign("spring", 1, "/b")], _at(2))

    assert [touch.landing_page for touch in touches] == ["/a", "/b"]


def test_only_the_most_recent_touches_are_kept_oldest_dropped_first():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    landings = [Landing(url=f"{SITE}/?utm_source=google&utm_medium=cpc&utm_campaign=c{i}",
                        at=(start + timedelta(hours=i)).isoformat()) for i in range(MAX_TOUCHES + 5)]

    touches = lead_touches((), landings, _at(1))

    assert len(touches) == MAX_TOUCHES == 50
    assert [touch.touch.campaign for touch in touches] == [f"c{i}" for i in range(5, MAX_TOUCHES + 5)]
    newer = lead_touches(touches, [_campaign("latest", 30)], _at(31))
    assert (len(newer), newer[0].touch.campaign, newer[-1].touch.campaign) == (MAX_TOUCHES, "c6", "latest")


def test_submissions_add_touches_and_a_later_visitor_brings_its_own():
    first = apply_submission("t1", None, Submission(email="mette@firma.dk", visitor_id="va"),
                             [_campaign("spring", 1)], NOW, _ids()).lead
    again = apply_submission("t1", first, Submission(email="mette@firma.dk", visitor_id="vb"),
                             [_campaign("spring", 1), _campaign("summer", 10)], NOW + timedelta(days=1), _ids()).lead

    assert [touch.touch.campaign for touch in first.touches] == ["spring"]
    assert [touch.touch.campaign for touch in again.touches] == ["spring", "summer"]
    assert again.visitors == ("va", "vb")


def test_a_lead_becomes_a_conversion_of_its_touches_at_its_creation():
    lead = apply_submission("t1", None, Submission(email="mette@firma.dk"),
                            [_campaign("spring", 1), _campaign("summer", 8)], NOW, _ids()).lead

    conversion = conversion_of(lead)

    assert conversion.converted_at == NOW
    assert conversion.value == 0
    assert [(tp.at.day, tp.touch.campaign, tp.landing_page) for tp in conversion.touchpoints] == [
        (1, "spring", "/"), (8, "summer", "/")]
    assert [share for _, share in credit(conversion.touchpoints, conversion.converted_at, "linear")] == [
        Fraction(1, 2), Fraction(1, 2)]


def test_a_won_lead_converts_at_its_outcome_with_its_value():
    lead = apply_submission("t1", None, Submission(email="mette@firma.dk"), [_campaign("spring", 1)], NOW, _ids()).lead
    won = LeadOutcome(outcome="won", at="2026-04-01T09:00:00.000Z", event_id="ev9", value="30000.00", currency="DKK")

    conversion = conversion_of(replace(lead, outcome=won))

    assert conversion.converted_at == datetime(2026, 4, 1, 9, tzinfo=UTC)
    assert conversion.value == Decimal("30000.00")


def test_a_lead_without_touches_falls_back_to_its_first_and_last_touch():
    lead = apply_submission("t1", None, Submission(email="mette@firma.dk"), [], NOW, _ids()).lead
    ad = Touch("paid_search", "google", "cpc", "spring")
    mail = Touch("email", "newsletter", "email", "maj")

    direct_only = conversion_of(lead)
    older = conversion_of(replace(lead, first_touch=ad, last_touch=mail))

    assert lead.touches == ()
    assert [(tp.at, tp.touch) for tp in direct_only.touchpoints] == [(NOW, DIRECT)]
    assert [(tp.at, tp.touch) for tp in older.touchpoints] == [(NOW, ad), (NOW, mail)]


def test_a_stored_touch_reads_back_as_it_was_written():
    touch = LeadTouch(at=_at(1), touch=Touch("referral", "partner.dk", "referral"), landing_page="/")

    assert LeadTouch.from_dict(touch.as_dict()) == touch


def test_the_forms_page_already_seen_as_a_page_view_is_one_touch_at_the_view():
    page = f"{SITE}/kontakt?utm_source=newsletter&utm_campaign=maj"

    touches = lead_touches((), [Landing(url=page, at=_at(3)), Landing(url=page)], _at(9))

    assert [(touch.at, touch.touch.campaign) for touch in touches] == [(_at(3), "maj")]
