"""Resellers as pure rules: who gets a lead, who may register a customer, what the producer sees, and the figures."""

from __future__ import annotations

import hashlib
import hmac
import itertools
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.consumers.resellers import outcome_counters
from chalicelib.domain.actors import Actor
from chalicelib.domain.attribution import DIRECT, Touch
from chalicelib.domain.credit import MODELS, Touchpoint
from chalicelib.domain.funnel import (
    RESELLER_CAMPAIGN,
    UNITS,
    FunnelLead,
    Row,
    accepted_by,
    reseller_costs,
)
from chalicelib.domain.handover import (
    REGISTRATION,
    HandoverRefused,
    HandoverState,
    accept,
    decline,
    fire_next_step,
    handover_id_for,
    open_handover,
    registered_handover,
)
from chalicelib.domain.journey import Handover, JourneyDefinition, ResellerRoute
from chalicelib.domain.leads import Lead, LeadOutcome
from chalicelib.domain.resellers import (
    HANDED_TO_ANOTHER,
    HELD_BY_PRODUCER,
    REGISTERED_BY_ANOTHER,
    EndCustomerReport,
    PostcodeRange,
    Reseller,
    check_registration,
    email_hash,
    normalised_email,
    offered_resellers,
    postcode_area,
    producer_view,
    reseller_candidates,
    scorecard,
    shares_with_producer,
    withheld_from_producer,
)
from chalicelib.domain.sla import ALWAYS

TENANT = "t_solar_producer"
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
ROTATION = "to-resellers"


def _lead_id(letter: str) -> str:
    return "ld_" + letter * 24


def _ids() -> Callable[[], str]:
    counter = itertools.count()
    return lambda: f"e{next(counter)}"


def _reseller(reseller_id: str, *, regions: Sequence[str] = (), products: Sequence[str] = (),
              contacts: Sequence[str] = (), inbox: str | None = None, active: bool = True) -> Reseller:
    return Reseller(tenant_id=TENANT, reseller_id=reseller_id, name=f"{reseller_id.title()} El ApS",
                    contacts=tuple(contacts), inbox=inbox, regions=tuple(PostcodeRange.parse(r) for r in regions),
                    products=tuple(products), active=active)


def _route(**fields: str) -> ResellerRoute:
    return ResellerRoute.model_validate({"strategy": "resellers", **fields})


class _Turns:
    """The round-robin counters: a fixed turn per rotation (1 when not named), and which ones were taken."""

    def __init__(self, turns: dict[str, int] | None = None):
        self.turns = turns or {}
        self.taken: list[str] = []

    def __call__(self, rotation: str) -> int:
        self.taken.append(rotation)
        return self.turns.get(rotation, 1)


def _jutland() -> list[Reseller]:
    """Four resellers with one inbox each, given out of id order on purpose."""
    return [
        _reseller("syd", regions=["6000-6999"], inbox="leads@syd-el.dk"),
        _reseller("nord", regions=["8000-8999", "9000-9990"], inbox="leads@nord-el.dk"),
        _reseller("vest", regions=["7000-7999"], inbox="leads@vest-el.dk"),
        _reseller("midt", regions=["8000-8299"], inbox="leads@midt-el.dk"),
    ]


# --- postcode ranges ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "low", "high", "shown"), [
    ("8000-8999", 8000, 8999, "8000-8999"),
    (" 8000 - 8999 ", 8000, 8999, "8000-8999"),
    ("9000", 9000, 9000, "9000"),
    ("9000-9000", 9000, 9000, "9000"),
    ("0800-0999", 800, 999, "0800-0999"),
    ("0900", 900, 900, "0900"),
    ("0800-2999", 800, 2999, "0800-2999"),
    ("0-99", 0, 99, "0-99"),
    ("0800-12345", 800, 12345, "0800-12345"),
])
def test_a_postcode_range_is_read_from_its_written_form_and_written_back_the_same_way(text, low, high, shown):
    parsed = PostcodeRange.parse(text)

    assert (parsed.low, parsed.high) == (low, high)
    assert str(parsed) == shown


def test_a_range_written_with_leading_zeros_holds_the_same_postcodes_as_without():
    copenhagen = PostcodeRange.parse("0800-0999")

    assert copenhagen == PostcodeRange.parse("800-999")
    assert [copenhagen.holds(code) for code in ("0900", "900", "1000", "0799")] == [True, True, False, False]


@pytest.mark.parametrize("text", ["", "north", "8000-", "-8999", "8000-89x9", "8000-8999-9999", "８０００",
                                  "12345678901", "DK-8000"])
def test_text_that_is_not_a_postcode_range_is_refused(text):
    with pytest.raises(ValueError, match="is not a postcode range"):
        PostcodeRange.parse(text)


def test_a_range_written_backwards_is_refused_with_a_hint():
    with pytest.raises(ValueError, match="runs backwards: write the lower postcode first"):
        PostcodeRange.parse("8999-8000")


@pytest.mark.parametrize(("postcode", "held"), [
    ("8000", True), ("8999", True), ("8210", True), (" 8210 ", True), ("8 210", True),
    ("7999", False), ("9000", False), ("DK-8210", False), ("8210 Aarhus V", False), ("", False), (None, False),
])
def test_a_range_holds_the_postcodes_between_its_ends_inclusive(postcode, held):
    assert PostcodeRange.parse("8000-8999").holds(postcode) is held


# --- a reseller --------------------------------------------------------------------------------------------


def test_a_reseller_with_an_inbox_gets_its_leads_there_and_otherwise_at_its_contacts():
    with_inbox = _reseller("nord-inbox", contacts=["anna@nord-el.dk", "bo@nord-el.dk"], inbox="leads@nord-el.dk")
    without_inbox = _reseller("nord-people", contacts=["anna@nord-el.dk", "bo@nord-el.dk"])
    nobody = _reseller("nord-empty")

    assert with_inbox.people == ("leads@nord-el.dk",)
    assert without_inbox.people == ("anna@nord-el.dk", "bo@nord-el.dk")
    assert nobody.people == ()


def test_a_reseller_serves_a_postcode_in_any_of_its_regions():
    nord = _reseller("nord-regions", regions=["8000-8999", "9000-9990"])

    assert (nord.serves("8210"), nord.serves("9990"), nord.serves("9991"), nord.serves("6000")) == (
        True, True, False, False)
    assert _reseller("nowhere").serves("8210") is False


def test_a_reseller_sells_a_product_whatever_its_case_and_surrounding_spaces():
    nord = _reseller("nord-products", products=["Solceller", " Varmepumpe "])

    assert nord.sells("solceller") is True
    assert nord.sells("  VARMEPUMPE") is True
    assert nord.sells("Batteri") is False
    assert nord.sells("") is False
    assert nord.sells(None) is False


# --- which resellers, in which order, and which of their people ---------------------------------------------


def test_a_lead_goes_first_to_the_resellers_whose_range_holds_its_postcode_then_to_the_others_by_id():
    # Given midt (8000-8299) and nord (8000-8999) both serve 8210; syd and vest do not
    turns = _Turns()

    # When the lead is planned on the first turn
    chosen = reseller_candidates(_route(match="postcode"), {"postcode": "8210"}, _jutland(), turns, ROTATION,
                                 _lead_id("b"))

    # Then the matching ones come first, by id, and the others follow, by id
    assert chosen == [("midt", "leads@midt-el.dk"), ("nord", "leads@nord-el.dk"), ("syd", "leads@syd-el.dk"),
                      ("vest", "leads@vest-el.dk")]
    assert turns.taken == [ROTATION]


@pytest.mark.parametrize(("turn", "first", "second"), [(1, "midt", "nord"), (2, "nord", "midt"),
                                                        (3, "midt", "nord"), (4, "nord", "midt")])
def test_the_matching_resellers_take_turns_while_the_others_keep_their_id_order(turn, first, second):
    chosen = reseller_candidates(_route(match="postcode"), {"postcode": "8210"}, _jutland(), _Turns({ROTATION: turn}),
                                 ROTATION, _lead_id("c"))

    assert [reseller for reseller, _ in chosen] == [first, second, "syd", "vest"]


def test_with_others_never_only_the_matching_resellers_are_candidates():
    chosen = reseller_candidates(_route(match="postcode", others="never"), {"postcode": "8210"}, _jutland(),
                                 _Turns({ROTATION: 2}), ROTATION, _lead_id("d"))

    assert chosen == [("nord", "leads@nord-el.dk"), ("midt", "leads@midt-el.dk")]


def test_a_lead_no_reseller_matches_goes_to_all_of_them_in_turn_with_others_next():
    # Given a postcode on Funen, which no reseller serves; by id: midt, nord, syd, vest
    chosen = reseller_candidates(_route(match="postcode"), {"postcode": "5000"}, _jutland(), _Turns({ROTATION: 2}),
                                 ROTATION, _lead_id("e"))

    # Then every reseller is a candidate, rotated by the turn
    assert [reseller for reseller, _ in chosen] == ["nord", "syd", "vest", "midt"]


def test_a_lead_no_reseller_matches_has_no_candidate_with_others_never():
    turns = _Turns()

    chosen = reseller_candidates(_route(match="postcode", others="never"), {"postcode": "5000"}, _jutland(), turns,
                                 ROTATION, _lead_id("f"))

    assert chosen == []
    assert turns.taken == []


def test_a_lead_without_the_field_is_matched_by_none_and_goes_to_the_others():
    chosen = reseller_candidates(_route(match="postcode"), {}, _jutland(), _Turns(), ROTATION, _lead_id("g"))

    assert [reseller for reseller, _ in chosen] == ["midt", "nord", "syd", "vest"]


def test_the_route_reads_the_field_it_names_instead_of_the_postcode():
    # Given the forms send the postcode as "zip" and a "postcode" that would point elsewhere
    fields = {"zip": "6100", "postcode": "8210"}

    chosen = reseller_candidates(_route(match="postcode", field="zip", others="never"), fields, _jutland(),
                                 _Turns(), ROTATION, _lead_id("h"))

    assert chosen == [("syd", "leads@syd-el.dk")]


def test_a_product_route_matches_the_resellers_that_sell_the_leads_product():
    resellers = [
        _reseller("solar", products=["Solceller"], inbox="leads@solar.dk"),
        _reseller("heat", products=["Varmepumpe"], inbox="leads@heat.dk"),
        _reseller("both", products=["varmepumpe", "solceller"], inbox="leads@both.dk"),
    ]

    chosen = reseller_candidates(_route(match="product"), {"product": " SOLCELLER"}, resellers, _Turns(), ROTATION,
                                 _lead_id("i"))

    assert chosen == [("both", "leads@both.dk"), ("solar", "leads@solar.dk"), ("heat", "leads@heat.dk")]


def test_a_round_robin_route_rotates_every_active_reseller_whatever_the_lead_says():
    resellers = [_reseller(name, inbox=f"leads@{name}.dk") for name in ("c-el", "a-el", "b-el")]

    chosen = reseller_candidates(_route(match="round_robin"), {"postcode": "8210"}, resellers,
                                 _Turns({ROTATION: 3}), ROTATION, _lead_id("j"))

    assert [reseller for reseller, _ in chosen] == ["c-el", "a-el", "b-el"]


def test_inactive_resellers_and_resellers_without_people_never_get_a_lead():
    resellers = [
        _reseller("nord", regions=["8000-8999"], inbox="leads@nord-el.dk", active=False),
        _reseller("midt", regions=["8000-8999"]),
        _reseller("syd", regions=["6000-6999"], inbox="leads@syd-el.dk"),
        _reseller("vest", regions=["8000-8999"], inbox="leads@vest-el.dk"),
    ]
    turns = _Turns()

    chosen = reseller_candidates(_route(match="postcode"), {"postcode": "8210"}, resellers, turns, ROTATION,
                                 _lead_id("k"))

    # Only vest matches among those left, so no rotation turn is taken for it
    assert chosen == [("vest", "leads@vest-el.dk"), ("syd", "leads@syd-el.dk")]
    assert turns.taken == []


@pytest.mark.parametrize(("turn", "person"), [(1, "anna@nord-el.dk"), (2, "bo@nord-el.dk"),
                                              (3, "carl@nord-el.dk"), (4, "anna@nord-el.dk")])
def test_the_first_resellers_person_is_chosen_by_the_resellers_own_turn(turn, person):
    resellers = [_reseller("nord", regions=["8000-8999"], contacts=["anna@nord-el.dk", "bo@nord-el.dk",
                                                                     "carl@nord-el.dk"])]
    turns = _Turns({"reseller:nord": turn})

    chosen = reseller_candidates(_route(match="postcode"), {"postcode": "8210"}, resellers, turns, ROTATION,
                                 _lead_id("l"))

    assert chosen == [("nord", person)]
    assert turns.taken == ["reseller:nord"]


@pytest.mark.parametrize(("lead_id", "person"), [
    # The first 8 bytes of SHA-256("{lead id}\nnord"), big-endian, modulo 2 (checked with hashlib by hand)
    (_lead_id("b"), "anna@nord-el.dk"),
    (_lead_id("c"), "bo@nord-el.dk"),
])
def test_a_later_resellers_person_follows_from_the_lead_and_takes_no_turn(lead_id, person):
    # Given only syd serves the postcode, so nord (two people) comes second
    resellers = [_reseller("syd", regions=["6000-6999"], inbox="leads@syd-el.dk"),
                 _reseller("nord", regions=["8000-8999"], contacts=["anna@nord-el.dk", "bo@nord-el.dk"])]

    for reseller_turn in (1, 2, 7):
        turns = _Turns({"reseller:nord": reseller_turn})
        chosen = reseller_candidates(_route(match="postcode"), {"postcode": "6100"}, resellers, turns, ROTATION,
                                     lead_id)

        # Then whatever nord's own turn, the same lead reaches the same person, and no turn is spent on it
        assert chosen == [("syd", "leads@syd-el.dk"), ("nord", person)]
        assert turns.taken == []


def test_a_person_two_resellers_share_gets_the_lead_once():
    # Given midt's inbox is also one of nord's contacts and vest's only inbox
    resellers = [
        _reseller("midt", regions=["8000-8299"], inbox="shared@el-net.dk"),
        _reseller("nord", regions=["8000-8999"], contacts=["shared@el-net.dk", "bo@nord-el.dk"]),
        _reseller("vest", regions=["7000-7999"], inbox="shared@el-net.dk"),
        _reseller("syd", regions=["6000-6999"], inbox="leads@syd-el.dk"),
    ]

    chosen = reseller_candidates(_route(match="postcode"), {"postcode": "8210"}, resellers, _Turns(), ROTATION,
                                 _lead_id("m"))

    # Then nord is represented by its other person and vest, with nobody left, is passed by
    assert chosen == [("midt", "shared@el-net.dk"), ("nord", "bo@nord-el.dk"), ("syd", "leads@syd-el.dk")]
    people = [person for _, person in chosen]
    assert len(people) == len(set(people))


# --- the journey's reseller route -------------------------------------------------------------------------


def test_a_reseller_route_matches_by_postcode_and_lets_the_others_follow_by_default():
    route = _route()

    assert (route.match, route.field, route.others) == ("postcode", None, "next")
    assert route.lead_field == "postcode"


@pytest.mark.parametrize(("fields", "lead_field"), [
    ({"match": "product"}, "product"), ({"match": "postcode", "field": "zip"}, "zip"),
    ({"match": "product", "field": "model"}, "model"),
])
def test_a_reseller_route_reads_the_field_it_names_else_the_field_its_match_is_named_after(fields, lead_field):
    assert _route(**fields).lead_field == lead_field


@pytest.mark.parametrize("fields", [{"match": "region"}, {"others": "always"}, {"field": "Post Code"},
                                    {"owners": ["a@x.dk"]}])
def test_a_reseller_route_refuses_what_it_does_not_know(fields):
    with pytest.raises(ValidationError):
        _route(**fields)


def _reseller_journey(**extra: Any) -> dict[str, Any]:
    return {
        "handovers": [{
            "name": "to-resellers", "on": "form_submit",
            "route": {"strategy": "resellers", "match": "product", "field": "model", "others": "never"},
            "sla": {"accept_within": "PT4H", "calendar": "dk-business-hours"},
            "escalation": [{"at": "50%", "action": "escalate", "to": "reseller_manager"},
                           {"at": "100%", "action": "escalate", "to": "channel_manager"},
                           {"at": "150%", "action": "reassign"}],
        }],
        **extra,
    }


def test_a_journey_with_a_reseller_route_and_a_channel_manager_validates():
    journey = JourneyDefinition.model_validate(_reseller_journey(channel_manager="kanal@producent.dk"))

    route = journey.handovers[0].route
    assert isinstance(route, ResellerRoute)
    assert (route.match, route.lead_field, route.others) == ("product", "model", "never")
    assert journey.channel_manager == "kanal@producent.dk"
    assert [step.to for step in journey.handovers[0].escalation] == ["reseller_manager", "channel_manager", None]


@pytest.mark.parametrize("address", ["kanal", "kanal@producent", "kanal@@producent.dk", "kanal @producent.dk",
                                     "Kanal <kanal@producent.dk>"])
def test_a_channel_manager_that_is_not_an_email_address_is_refused(address):
    with pytest.raises(ValidationError) as raised:
        JourneyDefinition.model_validate(_reseller_journey(channel_manager=address))

    assert [(error["loc"], error["msg"]) for error in raised.value.errors()] == [
        (("channel_manager",), "give an e-mail address, such as manager@example.dk")]


# --- a hand-over held by resellers ---------------------------------------------------------------------------

RESELLER_LADDER = Handover.model_validate({
    "name": "to-resellers", "on": "form_submit", "route": {"strategy": "resellers", "match": "postcode"},
    "sla": {"accept_within": "PT4H"},
    "escalation": [{"at": "150%", "action": "reassign"}, {"at": "200%", "action": "reassign"},
                   {"at": "300%", "action": "gap"}],
})
ANNA, SYD_INBOX, MIDT_INBOX = "anna@nord-el.dk", "leads@syd-el.dk", "leads@midt-el.dk"
NORD_KEY = Actor(kind="reseller", reseller="nord")
SYD_KEY = Actor(kind="reseller", reseller="syd")
MIDT_KEY = Actor(kind="reseller", reseller="midt")


def _offered_to_resellers(lead_id: str, people: Sequence[str] = (ANNA, SYD_INBOX),
                          resellers: Sequence[str] = ("nord", "syd"), at: datetime = START) -> HandoverState:
    return open_handover(TENANT, lead_id, handover_id_for(lead_id, RESELLER_LADDER.name), RESELLER_LADDER, people,
                         ALWAYS, at, _ids(), resellers=resellers).state


def _run(state: HandoverState, until: datetime) -> tuple[HandoverState, list]:
    changes = []
    new_id = _ids()
    while (change := fire_next_step(state, until, new_id)) is not None:
        state = change.state
        changes.append(change)
    return state, changes


def test_a_hand_over_to_resellers_starts_held_by_the_first_candidates_reseller():
    lead_id = _lead_id("n")

    change = open_handover(TENANT, lead_id, handover_id_for(lead_id, RESELLER_LADDER.name), RESELLER_LADDER,
                           [ANNA, SYD_INBOX], ALWAYS, START, _ids(), resellers=["nord", "syd"])

    assert (change.state.owner, change.state.reseller) == (ANNA, "nord")
    assert change.state.candidate_resellers == ("nord", "syd")
    assert change.state.reseller_of(SYD_INBOX) == "syd"
    started = change.events[0]
    assert (started.type, started.details["reseller"], started.details["owner"]) == ("handover_started", "nord",
                                                                                     ANNA)


def test_the_first_offer_names_the_holders_reseller_in_its_event_and_its_email():
    _, changes = _run(_offered_to_resellers(_lead_id("o")), START)

    (notified,) = changes[0].events
    (offer,) = changes[0].notifications
    assert (notified.type, notified.details["reseller"], notified.details["owner"]) == ("notified", "nord", ANNA)
    assert (offer.kind, offer.to, offer.reseller, offer.due_at) == ("offer", ANNA, "nord", "2026-11-23T13:00:00.000Z")


def test_a_hand_over_of_the_producers_own_sales_names_no_reseller():
    lead_id = _lead_id("p")

    change = open_handover(TENANT, lead_id, handover_id_for(lead_id, RESELLER_LADDER.name), RESELLER_LADDER,
                           ["sales-a@producent.dk"], ALWAYS, START, _ids())
    _, changes = _run(change.state, START)

    assert change.state.reseller is None
    assert "reseller" not in change.events[0].details
    assert "reseller" not in changes[0].events[0].details
    assert changes[0].notifications[0].reseller == ""


def test_a_decline_by_the_first_reseller_moves_the_lead_to_the_next_resellers_person():
    # Given nord holds the offer
    state = _offered_to_resellers(_lead_id("q"))
    declined_at = START + timedelta(hours=1)

    # When nord's key declines it
    change = decline(state, NORD_KEY, "too far away", declined_at, _ids(), RESELLER_LADDER, ALWAYS)

    # Then syd's inbox holds a new offer, with syd on the state, the events and the e-mail
    assert (change.state.owner, change.state.reseller, change.state.status) == (SYD_INBOX, "syd", "offered")
    assert change.state.declined_by == (ANNA,)
    declined, reassigned, notified = change.events
    assert (declined.type, declined.details["reseller"], declined.details["by"]) == ("declined", "nord", "reseller")
    assert (reassigned.type, reassigned.details["reseller"], reassigned.details["to_reseller"],
            reassigned.details["from"], reassigned.details["to"], reassigned.details["cause"]) == (
        "reassigned", "nord", "syd", ANNA, SYD_INBOX, "declined")
    assert (notified.type, notified.details["reseller"], notified.details["owner"]) == ("notified", "syd", SYD_INBOX)
    (offer,) = change.notifications
    assert (offer.to, offer.reseller, offer.due_at) == (SYD_INBOX, "syd", "2026-11-23T14:00:00.000Z")


def test_declines_walk_through_the_resellers_and_never_go_back_to_one_that_declined():
    state = _offered_to_resellers(_lead_id("r"), people=(ANNA, SYD_INBOX, MIDT_INBOX),
                                  resellers=("nord", "syd", "midt"))
    holders = [state.reseller]
    for hours, key in ((1, NORD_KEY), (2, SYD_KEY)):
        state = decline(state, key, None, START + timedelta(hours=hours), _ids(), RESELLER_LADDER, ALWAYS).state
        holders.append(state.reseller)

    # When the last reseller declines too
    last = decline(state, MIDT_KEY, None, START + timedelta(hours=3), _ids(), RESELLER_LADDER, ALWAYS)

    # Then the hand-over ends in a gap instead of going back to nord
    assert holders == ["nord", "syd", "midt"]
    assert [event.type for event in last.events] == ["declined", "gap"]
    assert (last.state.status, last.state.reseller) == ("gap", "midt")
    assert last.events[1].details["cause"] == "everyone declined"
    assert last.events[1].details["reseller"] == "midt"
    (announcement,) = last.notifications
    assert (announcement.kind, announcement.reseller) == ("gap", "midt")


def test_a_ladder_reassignment_moves_the_lead_to_the_next_resellers_person():
    # Given nord has not accepted at 150 % of its four hours
    state, changes = _run(_offered_to_resellers(_lead_id("s")), START + timedelta(hours=6))

    reassigning = changes[-1]
    reassigned, notified = reassigning.events
    assert (reassigned.type, reassigned.details["reseller"], reassigned.details["to_reseller"],
            reassigned.details["to"], reassigned.details["cause"]) == ("reassigned", "nord", "syd", SYD_INBOX, "sla")
    assert (notified.details["reseller"], notified.details["owner"]) == ("syd", SYD_INBOX)
    assert (state.owner, state.reseller) == (SYD_INBOX, "syd")
    assert reassigning.notifications[0].reseller == "syd"


def test_a_ladder_reassignment_never_goes_back_to_a_reseller_that_declined():
    # Given nord declined and syd let the new offer run to its reassign step
    state = decline(_offered_to_resellers(_lead_id("t")), NORD_KEY, None, START, _ids(), RESELLER_LADDER,
                    ALWAYS).state

    state, changes = _run(state, START + timedelta(hours=6))

    assert [event.type for change in changes for event in change.events][-1] == "reassign_skipped"
    assert (state.owner, state.reseller) == (SYD_INBOX, "syd")


def test_a_second_ladder_reassignment_does_not_send_the_lead_back_to_the_reseller_it_was_taken_from():
    # Given nord and syd, and a ladder that reassigns at 150 % and again at 200 %
    state = _offered_to_resellers(_lead_id("u"))

    # When nobody accepts for eight hours
    state, changes = _run(state, START + timedelta(hours=8))

    # Then the lead stays with syd: nord already had it and let it pass
    events = [event for change in changes for event in change.events]
    assert [event.details.get("to_reseller") for event in events if event.type == "reassigned"] == ["syd"]
    assert (state.owner, state.reseller) == (SYD_INBOX, "syd")


def test_a_decline_after_a_reassignment_ends_in_a_gap_rather_than_back_at_the_reseller_it_was_taken_from():
    # Given the ladder took the lead from nord to syd
    state, _ = _run(_offered_to_resellers(_lead_id("x")), START + timedelta(hours=6))
    assert state.reseller == "syd"

    # When syd declines
    change = decline(state, SYD_KEY, None, START + timedelta(hours=7), _ids(), RESELLER_LADDER, ALWAYS)

    # Then nobody is left: nord already had it and let it pass
    assert [event.type for event in change.events] == ["declined", "gap"]
    assert change.state.status == "gap"


def test_own_sales_reassignment_may_come_back_round_to_an_earlier_owner():
    state = open_handover(TENANT, _lead_id("o"), handover_id_for(_lead_id("o"), "to-sales"), RESELLER_LADDER,
                          ["sales-a@producent.dk", "sales-b@producent.dk"], ALWAYS, START, _ids()).state

    state, changes = _run(state, START + timedelta(hours=8))

    assert [event.details["to"] for change in changes for event in change.events if event.type == "reassigned"] == [
        "sales-b@producent.dk", "sales-a@producent.dk"]


def test_only_the_reseller_holding_the_hand_over_may_accept_it_with_its_key():
    state = _offered_to_resellers(_lead_id("v"))

    with pytest.raises(HandoverRefused) as refused:
        accept(state, SYD_KEY, START + timedelta(hours=1), _ids())
    assert refused.value.code == "not_owner"
    with pytest.raises(HandoverRefused) as keyless:
        accept(state, Actor(kind="reseller"), START + timedelta(hours=1), _ids())
    assert keyless.value.code == "not_owner"

    accepted = accept(state, NORD_KEY, START + timedelta(hours=1), _ids())

    assert accepted is not None
    assert (accepted.state.status, accepted.state.accepted_by, accepted.state.reseller) == ("accepted", "reseller",
                                                                                            "nord")
    assert (accepted.events[0].type, accepted.events[0].details["reseller"], accepted.events[0].details["by"]) == (
        "accepted", "nord", "reseller")


def test_after_a_decline_the_declining_resellers_key_no_longer_acts_on_the_hand_over():
    state = decline(_offered_to_resellers(_lead_id("w")), NORD_KEY, None, START, _ids(), RESELLER_LADDER,
                    ALWAYS).state

    with pytest.raises(HandoverRefused) as refused:
        accept(state, NORD_KEY, START + timedelta(minutes=5), _ids())
    accepted = accept(state, SYD_KEY, START + timedelta(minutes=5), _ids())

    assert refused.value.code == "not_owner"
    assert accepted is not None and accepted.events[0].details["reseller"] == "syd"


def test_a_registered_deal_starts_taken_by_the_reseller_with_a_deal_registered_event():
    lead_id = _lead_id("x")
    at = START + timedelta(days=2)

    change = registered_handover(TENANT, lead_id, handover_id_for(lead_id, "reg-1"), "nord", ANNA, at, _ids(),
                                 product="Solceller", new_lead=True)

    state = change.state
    assert (state.name, state.status, state.owner, state.reseller) == (REGISTRATION, "accepted", ANNA, "nord")
    assert (state.candidates, state.candidate_resellers) == ((ANNA,), ("nord",))
    assert (state.accepted_by, state.accepted_late, state.accepted_at) == ("reseller", False,
                                                                           "2026-11-25T09:00:00.000Z")
    assert state.steps == () and state.next_due_at is None
    (event,) = change.events
    assert event.type == "deal_registered"
    assert {name: event.details[name] for name in ("reseller", "owner", "product", "new_lead")} == {
        "reseller": "nord", "owner": ANNA, "product": "Solceller", "new_lead": True}
    assert change.notifications == ()
    assert accept(state, NORD_KEY, at + timedelta(hours=1), _ids()) is None


# --- deal registration ------------------------------------------------------------------------------------


def _registered(lead_id: str, reseller: str, at: datetime) -> HandoverState:
    return registered_handover(TENANT, lead_id, handover_id_for(lead_id, f"reg@{at.isoformat()}"), reseller,
                               f"leads@{reseller}-el.dk", at, _ids()).state


def _own_sales(lead_id: str, at: datetime) -> HandoverState:
    return open_handover(TENANT, lead_id, handover_id_for(lead_id, "to-sales"), RESELLER_LADDER,
                         ["sales-a@producent.dk"], ALWAYS, at, _ids()).state


def test_the_resellers_a_hand_over_reached_are_those_up_to_its_holder_and_those_that_declined():
    state = _offered_to_resellers(_lead_id("y"), people=(ANNA, SYD_INBOX, MIDT_INBOX),
                                  resellers=("nord", "syd", "midt"))
    assert offered_resellers(state) == ["nord"]

    moved = decline(state, NORD_KEY, None, START, _ids(), RESELLER_LADDER, ALWAYS).state

    assert offered_resellers(moved) == ["nord", "syd"]
    assert offered_resellers(_own_sales(_lead_id("y"), START)) == []


def test_a_customer_nobody_had_may_be_registered():
    check = check_registration("nord", [], START)

    assert (check.refused_by, check.already, check.other) == (None, None, None)


def test_a_customer_another_reseller_registered_within_ninety_days_is_refused_naming_it():
    lead_id = _lead_id("z")
    handovers = [_registered(lead_id, "nord", START)]

    check = check_registration("syd", handovers, START + timedelta(days=90))

    assert (check.refused_by, check.other, check.already) == (REGISTERED_BY_ANOTHER, "nord", None)


def test_a_customer_another_reseller_registered_more_than_ninety_days_ago_may_be_registered():
    lead_id = _lead_id("2")
    handovers = [_registered(lead_id, "nord", START)]

    check = check_registration("syd", handovers, START + timedelta(days=90, seconds=1))

    assert (check.refused_by, check.already) == (None, None)


def test_a_customer_handed_to_another_reseller_is_refused_naming_that_reseller():
    handovers = [_offered_to_resellers(_lead_id("3"))]

    check = check_registration("midt", handovers, START + timedelta(days=10))

    assert (check.refused_by, check.other) == (HANDED_TO_ANOTHER, "nord")


def test_a_reseller_that_declined_a_customer_another_now_holds_is_refused():
    state = decline(_offered_to_resellers(_lead_id("4")), NORD_KEY, None, START, _ids(), RESELLER_LADDER,
                    ALWAYS).state

    check = check_registration("nord", [state], START + timedelta(days=1))

    assert (check.refused_by, check.other) == (HANDED_TO_ANOTHER, "syd")


def test_registering_a_customer_the_reseller_holds_or_registered_changes_nothing():
    held = decline(_offered_to_resellers(_lead_id("5")), NORD_KEY, None, START, _ids(), RESELLER_LADDER,
                   ALWAYS).state
    registered = _registered(_lead_id("6"), "nord", START)

    holding = check_registration("syd", [held], START + timedelta(days=1))
    again = check_registration("nord", [registered], START + timedelta(days=1))

    assert (holding.refused_by, holding.already) == (None, held)
    assert (again.refused_by, again.already) == (None, registered)


def test_a_reseller_whose_own_hand_over_ended_in_a_gap_may_register_the_customer():
    # Given nord was the only reseller offered the customer, and declined: the hand-over ended in a gap
    gapped = decline(_offered_to_resellers(_lead_id("g"), people=(ANNA,), resellers=("nord",)), NORD_KEY, None,
                     START, _ids(), RESELLER_LADDER, ALWAYS).state
    assert (gapped.status, gapped.reseller) == ("gap", "nord")

    # Then nord registering the customer later is a new registration, not a retry of a hand-over it no longer holds
    check = check_registration("nord", [gapped], START + timedelta(days=5))

    assert (check.refused_by, check.already, check.other) == (None, None, None)


@pytest.mark.parametrize("status", ["offered", "accepted", "contacted"])
def test_a_customer_the_producers_own_sales_are_working_on_is_refused(status):
    state = _own_sales(_lead_id("7"), START)
    if status != "offered":
        state = replace(state, status=status)

    check = check_registration("nord", [state], START + timedelta(days=30))

    assert (check.refused_by, check.other) == (HELD_BY_PRODUCER, None)


def test_a_customer_whose_own_sales_hand_over_ended_in_a_gap_may_be_registered():
    state = _own_sales(_lead_id("a"), START)
    gapped, _ = _run(state, START + timedelta(hours=12))
    assert gapped.status == "gap"

    check = check_registration("nord", [gapped], START + timedelta(days=1))

    assert (check.refused_by, check.already) == (None, None)


def test_the_latest_hand_over_of_the_window_decides():
    # Given the producer's own sales gave up on the customer, and later nord registered it
    lead_id = _lead_id("b")
    gapped, _ = _run(_own_sales(lead_id, START), START + timedelta(hours=12))
    later = _registered(lead_id, "nord", START + timedelta(days=20))

    # Then syd is refused for nord's registration, whichever order the hand-overs come in
    for handovers in ([gapped, later], [later, gapped]):
        check = check_registration("syd", handovers, START + timedelta(days=30))
        assert (check.refused_by, check.other) == (REGISTERED_BY_ANOTHER, "nord")


# --- matching sales by keyed hash ---------------------------------------------------------------------------


def test_an_email_is_hashed_trimmed_and_lower_case_under_the_resellers_match_secret():
    expected = hmac.new(b"ms_nord-secret", b"mette.hansen@example.dk", hashlib.sha256).hexdigest()

    hashed = email_hash("ms_nord-secret", "  Mette.Hansen@Example.DK \n")

    assert hashed == expected
    assert len(hashed) == 64 and hashed == hashed.lower()


def test_an_email_written_with_a_combining_accent_hashes_like_its_composed_form():
    decomposed = "Jo\u0308rgen@Example.dk"
    expected = hmac.new(b"ms_syd", "j\u00f6rgen@example.dk".encode(), hashlib.sha256).hexdigest()

    assert normalised_email(decomposed) == "j\u00f6rgen@example.dk"
    assert email_hash("ms_syd", decomposed) == expected
    assert email_hash("ms_syd", "J\u00d6RGEN@example.dk") == expected


def test_the_same_email_hashes_differently_under_another_resellers_secret():
    assert email_hash("ms_nord", "kunde@example.dk") != email_hash("ms_syd", "kunde@example.dk")


# --- what the producer sees ---------------------------------------------------------------------------------

GRANTED = {"share_with_producer": {"granted": True, "at": "2026-11-20T10:00:00.000Z", "source": "form:contact"}}
WITHDRAWN = {"share_with_producer": {"granted": False, "at": "2026-11-26T10:00:00.000Z",
                                     "source": "reseller:nord: phone call"}}


def _customer(lead_id: str, consent: dict[str, dict[str, Any]] | None = None, referred_by: str | None = None,
              fields: dict[str, str] | None = None) -> Lead:
    return Lead(tenant_id=TENANT, lead_id=lead_id, email="mette@example.dk", stage="decision",
                stage_entered_at="2026-11-20T10:00:00.000Z", lead_type="marketing", first_touch=DIRECT,
                last_touch=Touch("paid_search", "google", "cpc", "spring"), created_at="2026-11-20T10:00:00.000Z",
                updated_at="2026-11-20T10:00:00.000Z", name="Mette Hansen", phone="+45 12 34 56 78",
                company="Hansen VVS", referred_by=referred_by,
                fields={"postcode": "8210", "product": "Solceller"} if fields is None else fields,
                consent=consent or {})


def _report(lead_id: str, event_id: str = "ev_report_1") -> EndCustomerReport:
    return EndCustomerReport(lead_id=lead_id, reseller_id="nord", reported_at="2026-11-30T10:00:00.000Z",
                             event_id=event_id, outcome="won", value="52000.00", currency="DKK",
                             outcome_at="2026-11-29T00:00:00.000Z")


@pytest.mark.parametrize(("consent", "shared"), [
    ({}, False),
    (GRANTED, True),
    (WITHDRAWN, False),
    ({"share_with_producer": {"granted": "true"}}, False),
    ({"share_with_producer": {}}, False),
    ({"survey": {"granted": True}}, False),
])
def test_only_a_granted_share_with_producer_consent_lets_the_producer_see_the_customer(consent, shared):
    assert shares_with_producer(consent) is shared


@pytest.mark.parametrize(("referred_by", "consent", "withheld"), [
    ("reseller:nord", {}, True),
    ("reseller:nord", WITHDRAWN, True),
    ("reseller:nord", GRANTED, False),
    (None, {}, False),
    ("partner-newsletter", {}, False),
])
def test_a_deal_a_reseller_registered_is_withheld_from_the_producer_until_the_customer_agrees(referred_by, consent,
                                                                                              withheld):
    assert withheld_from_producer(_customer(_lead_id("c"), consent, referred_by)) is withheld


@pytest.mark.parametrize(("postcode", "area"), [
    ("8210", "82xx"), (" 82 10 ", "82xx"), ("820", "82x"), ("12345", "12xxx"), ("82", None), ("", None),
    (None, None), ("DK-8210", None),
])
def test_the_postcode_area_keeps_the_first_two_digits_only(postcode, area):
    assert postcode_area(postcode) == area


def test_without_consent_the_producer_sees_only_pseudonymous_facts():
    lead_id = _lead_id("d")

    view = producer_view(_customer(lead_id), _report(lead_id), reseller_name="Nord El ApS")

    assert view == {
        "lead_id": lead_id, "reseller": "nord", "reseller_name": "Nord El ApS",
        "reported_at": "2026-11-30T10:00:00.000Z", "event_id": "ev_report_1",
        "outcome": "won", "value": "52000.00", "currency": "DKK", "outcome_at": "2026-11-29T00:00:00.000Z",
        "product": "Solceller", "postcode_area": "82xx", "shared": False,
        "email": None, "name": None, "phone": None, "company": None, "postcode": None, "current_outcome": None,
    }


def test_with_consent_the_producer_sees_the_customers_contact_details():
    lead_id = _lead_id("e")

    view = producer_view(_customer(lead_id, GRANTED), _report(lead_id))

    assert view["shared"] is True
    assert {name: view[name] for name in ("email", "name", "phone", "company", "postcode", "postcode_area")} == {
        "email": "mette@example.dk", "name": "Mette Hansen", "phone": "+45 12 34 56 78", "company": "Hansen VVS",
        "postcode": "8210", "postcode_area": "82xx"}


def test_a_withdrawn_consent_hides_the_contact_details_again():
    lead_id = _lead_id("f")

    view = producer_view(_customer(lead_id, WITHDRAWN), _report(lead_id))

    assert view["shared"] is False
    assert [view[name] for name in ("email", "name", "phone", "company", "postcode")] == [None] * 5


def test_a_report_on_a_lead_that_is_gone_shows_no_details_and_no_area():
    view = producer_view(None, _report(_lead_id("g")))

    assert (view["shared"], view["email"], view["product"], view["postcode_area"]) == (False, None, None, None)
    assert (view["outcome"], view["value"]) == ("won", "52000.00")


def test_a_later_correction_of_the_outcome_is_shown_beside_what_the_reseller_reported():
    lead_id = _lead_id("h")
    corrected = LeadOutcome(outcome="lost", at="2026-12-02T10:00:00.000Z", event_id="ev_correction_2",
                            reason="price")
    same = LeadOutcome(outcome="won", at="2026-11-30T10:00:00.000Z", event_id="ev_report_1", value="52000.00",
                       currency="DKK")

    view = producer_view(_customer(lead_id), _report(lead_id), outcome=corrected)
    unchanged = producer_view(_customer(lead_id), _report(lead_id), outcome=same)

    assert view["current_outcome"] == {"outcome": "lost", "value": None, "currency": None}
    assert (view["outcome"], view["value"]) == ("won", "52000.00")
    assert unchanged["current_outcome"] is None


# --- what an outcome adds to the scorecard -----------------------------------------------------------------


def _nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {name: delta for name, delta in counts.items() if delta}


@pytest.mark.parametrize(("details", "counts"), [
    ({"outcome": "won", "value": "10000"}, {"won": 1, "revenue_cents": 1_000_000}),
    ({"outcome": "won", "value": "10000.50"}, {"won": 1, "revenue_cents": 1_000_050}),
    ({"outcome": "won", "value": 52000}, {"won": 1, "revenue_cents": 5_200_000}),
    ({"outcome": "won"}, {"won": 1}),
    ({"outcome": "lost", "value": "10000"}, {"lost": 1}),
    ({"outcome": "disqualified"}, {"disqualified": 1}),
])
def test_a_first_outcome_counts_once_and_a_won_one_adds_its_value_in_cents(details, counts):
    assert outcome_counters(details) == counts


def test_a_corrected_won_value_adds_only_the_difference():
    details = {"outcome": "won", "value": "12000", "corrects": "ev_first",
               "previous": {"outcome": "won", "value": "10000"}}

    assert _nonzero(outcome_counters(details)) == {"revenue_cents": 200_000}
    assert outcome_counters(details).get("won", 0) == 0


def test_a_won_deal_corrected_to_lost_takes_the_won_deal_and_its_revenue_back():
    details = {"outcome": "lost", "corrects": "ev_first", "previous": {"outcome": "won", "value": "10000"}}

    assert _nonzero(outcome_counters(details)) == {"won": -1, "lost": 1, "revenue_cents": -1_000_000}


def test_a_lost_deal_corrected_to_won_counts_the_win_and_its_revenue():
    details = {"outcome": "won", "value": "4500.25", "corrects": "ev_first",
               "previous": {"outcome": "lost", "value": None}}

    assert _nonzero(outcome_counters(details)) == {"lost": -1, "won": 1, "revenue_cents": 450_025}


# --- the scorecard ------------------------------------------------------------------------------------------

SCORECARD_FIGURES = ("name", "leads_received", "accepted_in_sla", "declined", "won", "lost", "disqualified",
                     "registered", "revenue", "win_rate", "won_per_lead", "unmatched_sales")


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row.get(name) for name in SCORECARD_FIGURES}


def test_the_scorecard_gives_each_resellers_figures_and_the_totals():
    rows = [
        ("nord", {"handovers": 3, "accepted_in_sla": 2, "declined": 1, "won": 1, "lost": 1,
                  "revenue_cents": 1_250_000}),
        ("nord", {"handovers": 1, "accepted_in_sla": 1, "registered": 1, "won": 1, "revenue_cents": 50_000}),
        ("syd", {"handovers": 2, "declined": 2, "disqualified": 1, "unmatched": 2}),
    ]
    names = {"nord": "Nord El ApS", "syd": "Syd El ApS", "vest": "Vest El ApS"}

    card = scorecard(rows, names)

    assert [row["reseller_id"] for row in card["resellers"]] == ["nord", "syd", "vest"]
    nord, syd, vest = (_figures(row) for row in card["resellers"])
    # nord: 2 won of 3 reported; 2 won of 4 received + 1 registered; 12,500.00 + 500.00
    assert nord == {"name": "Nord El ApS", "leads_received": 4, "accepted_in_sla": 3, "declined": 1, "won": 2,
                    "lost": 1, "disqualified": 0, "registered": 1, "revenue": "13000.00", "win_rate": 0.6667,
                    "won_per_lead": 0.4, "unmatched_sales": 0}
    assert syd == {"name": "Syd El ApS", "leads_received": 2, "accepted_in_sla": 0, "declined": 2, "won": 0,
                   "lost": 0, "disqualified": 1, "registered": 0, "revenue": "0.00", "win_rate": 0.0,
                   "won_per_lead": 0.0, "unmatched_sales": 2}
    # vest has no rows yet: listed, with nothing to divide by
    assert vest == {"name": "Vest El ApS", "leads_received": 0, "accepted_in_sla": 0, "declined": 0, "won": 0,
                    "lost": 0, "disqualified": 0, "registered": 0, "revenue": "0.00", "win_rate": None,
                    "won_per_lead": None, "unmatched_sales": 0}
    # In total: 2 won of 4 reported; 2 won of 6 received + 1 registered = 0.28571…
    total = _figures(card["total"])
    del total["name"]
    assert total == {"leads_received": 6, "accepted_in_sla": 3, "declined": 3, "won": 2, "lost": 1,
                     "disqualified": 1, "registered": 1, "revenue": "13000.00", "win_rate": 0.5,
                     "won_per_lead": 0.2857, "unmatched_sales": 2}
    assert card["percentile_method"] == "nearest-rank"


def test_a_reseller_removed_since_still_counts_in_the_scorecard_without_a_name():
    card = scorecard([("gammel", {"handovers": 1, "won": 1, "revenue_cents": 99})], {})

    (row,) = card["resellers"]
    assert (row["reseller_id"], row["name"], row["leads_received"], row["revenue"], row["win_rate"]) == (
        "gammel", None, 1, "0.99", 1.0)


def test_a_scorecard_with_no_rows_has_empty_totals():
    card = scorecard([], {})

    assert card["resellers"] == []
    assert (card["total"]["leads_received"], card["total"]["revenue"], card["total"]["win_rate"],
            card["total"]["won_per_lead"]) == (0, "0.00", None, None)


# --- the funnel and ROI for resellers -----------------------------------------------------------------------

DAY = "2026-03-15"
AD = Touch("paid_search", "google", "cpc", "spring")
MAIL = Touch("email", "newsletter", "email", "march-news")
# An ad on 1 March and the newsletter on 8 March before the form on 15 March (as in test_funnel)
TOUCHPOINTS = [Touchpoint(datetime(2026, 3, 1, 12, tzinfo=UTC), AD, "/solceller"),
               Touchpoint(datetime(2026, 3, 8, 12, tzinfo=UTC), MAIL, "/nyhed")]
CREATED_AT = "2026-03-15T12:00:00.000Z"


def _funnel_lead(lead_type: str = "marketing") -> FunnelLead:
    return FunnelLead(day=DAY, lead_type=lead_type,
                      groups={"channel": "email", "campaign": "march-news", "source": "newsletter",
                              "landing_page": "/nyhed"},
                      reached=("awareness", "consideration"))


def _campaign(group: str, counters: dict[str, int], lead_type: str = "marketing", day: str = DAY
              ) -> tuple[Row, dict[str, int]]:
    return Row("campaign", day, lead_type, group), counters


def _split(group: str, counters: dict[str, int], lead_type: str = "marketing", day: str = DAY
           ) -> tuple[Row, dict[str, int]]:
    return Row(RESELLER_CAMPAIGN, day, lead_type, group), counters


def test_the_first_accept_through_a_reseller_counts_the_whole_lead_on_the_resellers_row():
    lead, deltas = accepted_by(_funnel_lead(), ANNA, reseller="nord", touchpoints=TOUCHPOINTS,
                               created_at=CREATED_AT)

    assert (lead.owner, lead.reseller) == (ANNA, "nord")
    assert deltas[Row("owner", DAY, "marketing", ANNA)] == {"leads": 1, "r_awareness": 1, "r_consideration": 1}
    assert deltas[Row("reseller", DAY, "marketing", "nord")] == {
        "leads": 1, "r_awareness": 1, "r_consideration": 1,
        **{f"cl_{model}": UNITS for model in MODELS}}


def test_the_resellers_campaign_rows_split_the_lead_by_each_models_campaign_credit():
    _, deltas = accepted_by(_funnel_lead(), ANNA, reseller="nord", touchpoints=TOUCHPOINTS, created_at=CREATED_AT)

    spring = deltas[Row(RESELLER_CAMPAIGN, DAY, "marketing", "nord|spring")]
    news = deltas[Row(RESELLER_CAMPAIGN, DAY, "marketing", "nord|march-news")]
    # First touch all to the ad, last touch all to the newsletter, linear and position-based half each,
    # time decay 1/3 to the ad a week older than the newsletter (weights 1/4 and 1/2)
    assert spring == {"cl_first_touch": UNITS, "cl_linear": 500_000_000_000, "cl_position_based": 500_000_000_000,
                      "cl_time_decay": 333_333_333_333}
    assert news == {"cl_last_touch": UNITS, "cl_linear": 500_000_000_000, "cl_position_based": 500_000_000_000,
                    "cl_time_decay": 666_666_666_667}
    assert {row.dim for row in deltas} == {"owner", "reseller", RESELLER_CAMPAIGN}


def test_an_accept_through_a_reseller_without_the_touches_credits_only_the_resellers_row():
    _, deltas = accepted_by(_funnel_lead(), ANNA, reseller="nord")

    assert {row.dim for row in deltas} == {"owner", "reseller"}
    assert deltas[Row("reseller", DAY, "marketing", "nord")]["cl_linear"] == UNITS


def test_a_later_accept_through_another_reseller_changes_nothing():
    first, _ = accepted_by(_funnel_lead(), ANNA, reseller="nord", touchpoints=TOUCHPOINTS, created_at=CREATED_AT)

    again, deltas = accepted_by(first, SYD_INBOX, reseller="syd", touchpoints=TOUCHPOINTS, created_at=CREATED_AT)

    assert deltas == {}
    assert (again.owner, again.reseller) == (ANNA, "nord")


def test_an_accept_by_the_producers_own_sales_names_no_reseller():
    lead, deltas = accepted_by(_funnel_lead(), "sales-a@producent.dk", touchpoints=TOUCHPOINTS,
                               created_at=CREATED_AT)

    assert lead.reseller is None
    assert {row.dim for row in deltas} == {"owner"}


def test_a_campaigns_cost_is_shared_by_the_credit_each_reseller_took():
    # Given 4 leads' credit on spring, 3 of them taken by nord and 1 by syd
    costs = reseller_costs({"spring": Decimal("1000.00")}, [_campaign("spring", {"cl_linear": 4 * UNITS})],
                           [_split("nord|spring", {"cl_linear": 3 * UNITS}),
                            _split("syd|spring", {"cl_linear": UNITS})], "linear")

    assert costs == {"nord": Decimal("750.00"), "syd": Decimal("250.00")}


def test_a_cost_shared_in_thirds_adds_up_to_the_cost_to_the_cent():
    costs = reseller_costs({"spring": Decimal("1000.00")}, [_campaign("spring", {"cl_linear": 3 * UNITS})],
                           [_split(f"{name}|spring", {"cl_linear": UNITS}) for name in ("midt", "nord", "syd")],
                           "linear")

    # 333.333… each: the cent left over goes to the first of the equal remainders
    assert costs == {"midt": Decimal("333.34"), "nord": Decimal("333.33"), "syd": Decimal("333.33")}
    assert sum(costs.values()) == Decimal("1000.00")


def test_what_no_reseller_took_stays_unallocated_and_the_shares_never_exceed_the_cost():
    # Given 3 leads' credit on a 100.00 campaign, 1 each taken by nord and syd, 1 by the producer's own sales
    costs = reseller_costs({"spring": Decimal("100.00")}, [_campaign("spring", {"cl_linear": 3 * UNITS})],
                           [_split("nord|spring", {"cl_linear": UNITS}), _split("syd|spring", {"cl_linear": UNITS})],
                           "linear")

    # 33.333… each, 66.666… together, which rounds to 66.67
    assert costs == {"nord": Decimal("33.34"), "syd": Decimal("33.33")}
    assert sum(costs.values()) <= Decimal("100.00")


def test_a_cost_of_a_few_cents_shared_by_seven_resellers_never_adds_up_to_more_than_the_cost():
    names = [f"r{index}" for index in range(7)]

    costs = reseller_costs({"tiny": Decimal("0.05")}, [_campaign("tiny", {"cl_linear": 7 * UNITS})],
                           [_split(f"{name}|tiny", {"cl_linear": UNITS}) for name in names], "linear")

    assert costs == {"r0": Decimal("0.01"), "r1": Decimal("0.01"), "r2": Decimal("0.01"), "r3": Decimal("0.01"),
                     "r4": Decimal("0.01"), "r5": Decimal("0.00"), "r6": Decimal("0.00")}
    assert sum(costs.values()) == Decimal("0.05")


def test_referral_rows_neither_take_nor_dilute_a_campaigns_cost():
    costs = reseller_costs(
        {"spring": Decimal("1000.00")},
        [_campaign("spring", {"cl_linear": 4 * UNITS}), _campaign("spring", {"cl_linear": 6 * UNITS}, "referral")],
        [_split("nord|spring", {"cl_linear": 3 * UNITS}), _split("syd|spring", {"cl_linear": UNITS}),
         _split("syd|spring", {"cl_linear": 6 * UNITS}, "referral")],
        "linear")

    assert costs == {"nord": Decimal("750.00"), "syd": Decimal("250.00")}


def test_the_costs_follow_the_chosen_model_and_add_up_over_days_and_campaigns():
    campaign_rows = [
        _campaign("spring", {"cl_linear": 2 * UNITS, "cl_first_touch": UNITS}, day="2026-03-15"),
        _campaign("spring", {"cl_linear": 2 * UNITS, "cl_first_touch": 3 * UNITS}, day="2026-03-16"),
        _campaign("winter", {"cl_linear": 2 * UNITS, "cl_first_touch": 2 * UNITS}),
    ]
    split_rows = [
        _split("nord|spring", {"cl_linear": 2 * UNITS, "cl_first_touch": UNITS}, day="2026-03-15"),
        _split("nord|spring", {"cl_linear": UNITS}, day="2026-03-16"),
        _split("syd|spring", {"cl_linear": UNITS, "cl_first_touch": UNITS}, day="2026-03-16"),
        _split("nord|winter", {"cl_linear": UNITS, "cl_first_touch": 2 * UNITS}),
    ]
    campaign_costs = {"spring": Decimal("1000.00"), "winter": Decimal("200.00")}

    linear = reseller_costs(campaign_costs, campaign_rows, split_rows, "linear")
    first_touch = reseller_costs(campaign_costs, campaign_rows, split_rows, "first_touch")

    # Linear: spring 3/4 to nord and 1/4 to syd; winter 1/2 to nord
    assert linear == {"nord": Decimal("850.00"), "syd": Decimal("250.00")}
    # First touch: spring 1/4 each to nord and syd; winter all to nord
    assert first_touch == {"nord": Decimal("450.00"), "syd": Decimal("250.00")}


def test_a_campaign_without_cost_or_without_credit_charges_no_reseller():
    costs = reseller_costs({"spring": Decimal("0"), "summer": Decimal("500.00")},
                           [_campaign("spring", {"cl_linear": UNITS})],
                           [_split("nord|spring", {"cl_linear": UNITS}), _split("nord|summer", {"cl_linear": UNITS}),
                            _split("syd|autumn", {"cl_linear": UNITS})], "linear")

    assert costs == {}
