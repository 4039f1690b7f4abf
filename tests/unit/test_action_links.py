"""Hand-over links: bound to one hand-over, one action and one owner; expired is told apart from not valid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.domain.handover import Actor
from chalicelib.domain.tokens import Keyring, TokenClaims, issue
from chalicelib.errors import Unauthorized
from chalicelib.services.action_links import HANDOVER_ACTION, ActionLinks, LinkRefused


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


KEYS = Keyring.from_secrets("link-secret")


def _links(keyring: Keyring = KEYS, clock: Clock | None = None) -> ActionLinks:
    return ActionLinks(keyring, "https://api.leadtrail.test/", clock or Clock())


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def _refusal(links: ActionLinks, handover_id: str, action: str, token: str) -> LinkRefused:
    with pytest.raises(LinkRefused) as refused:
        links.read_handover_link(handover_id, action, token)
    return refused.value


def test_given_a_handover_when_a_link_is_made_then_it_points_at_the_action_with_one_token():
    url = _links().handover_link("demo", "ho_1", "sales-a@demo.dk", "decline")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "api.leadtrail.test", "/handovers/ho_1/decline")
    assert set(parse_qs(parts.query)) == {"token"}


def test_given_a_link_when_it_is_read_for_its_handover_and_action_then_it_speaks_for_its_owner():
    links = _links()
    url = links.handover_link("demo", "ho_1", "sales-a@demo.dk", "accept")
    owner = Actor(kind="link", owner="sales-a@demo.dk")
    assert links.read_handover_link("ho_1", "accept", _token(url)) == ("demo", owner)


@pytest.mark.parametrize(("handover_id", "action"), [("ho_2", "accept"), ("ho_1", "decline"), ("ho_1", "contacted")])
def test_given_a_link_when_it_is_used_for_another_handover_or_action_then_it_is_not_valid(handover_id: str,
                                                                                        action: str):
    links = _links()
    token = _token(links.handover_link("demo", "ho_1", "sales-a@demo.dk", "accept"))
    refused = _refusal(links, handover_id, action, token)
    assert isinstance(refused, Unauthorized) and refused.field == "token"
    assert not refused.expired and refused.tenant_id is None and "not valid" in refused.message


def test_given_a_link_when_its_lifetime_has_passed_then_it_is_expired_and_says_whose_it_was():
    clock = Clock()
    links = _links(clock=clock)
    token = _token(links.handover_link("demo", "ho_1", "sales-a@demo.dk", "accept", lifetime=timedelta(hours=1)))
    clock.now += timedelta(minutes=59)
    assert links.read_handover_link("ho_1", "accept", token)[0] == "demo"
    clock.now += timedelta(minutes=1)
    refused = _refusal(links, "ho_1", "accept", token)
    assert refused.expired and "expired" in refused.message
    assert (refused.tenant_id, refused.owner) == ("demo", "sales-a@demo.dk")


def test_given_an_expired_link_when_used_for_another_handover_then_it_is_simply_not_valid():
    clock = Clock()
    links = _links(clock=clock)
    token = _token(links.handover_link("demo", "ho_1", "sales-a@demo.dk", "accept"))
    clock.now += timedelta(days=15)
    assert not _refusal(links, "ho_2", "accept", token).expired


def test_given_keys_rotated_when_an_old_link_is_read_then_the_previous_key_still_reads_it():
    old = _links(Keyring.from_secrets("old-secret"))
    token = _token(old.handover_link("demo", "ho_1", "sales-a@demo.dk", "accept"))
    rotated = _links(Keyring.from_secrets("new-secret", ["old-secret"]))
    assert rotated.read_handover_link("ho_1", "accept", token)[1].owner == "sales-a@demo.dk"
    retired = _links(Keyring.from_secrets("new-secret"))
    assert not _refusal(retired, "ho_1", "accept", token).expired


def test_given_a_genuine_token_of_another_purpose_when_used_as_a_link_then_it_is_not_valid():
    survey = issue(KEYS, TokenClaims(purpose="survey_answer", tenant_id="demo", subject="ho_1",
                                     expires=2_000_000_000, data={"owner": "x@demo.dk", "action": "accept"}))
    assert "not valid" in _refusal(_links(), "ho_1", "accept", survey).message


def test_given_a_token_without_an_owner_when_used_as_a_link_then_it_is_not_valid():
    token = issue(KEYS, TokenClaims(purpose=HANDOVER_ACTION, tenant_id="demo", subject="ho_1",
                                    expires=2_000_000_000, data={"action": "accept"}))
    assert not _refusal(_links(), "ho_1", "accept", token).expired


@pytest.mark.parametrize("token", ["", "ſig", "é" * 40, "x" * 5000, "a.b", "\r\n"])
def test_given_garbage_when_read_as_a_link_then_it_is_not_valid(token: str):
    assert not _refusal(_links(), "ho_1", "accept", token).expired


def test_given_an_action_without_links_when_a_link_is_asked_for_then_none_is_made():
    with pytest.raises(ValueError, match="accept and decline"):
        _links().handover_link("demo", "ho_1", "sales-a@demo.dk", "contacted")


# --- the other button on the same page ---------------------------------------------------------------


def test_a_companion_token_acts_on_the_same_hand_over_for_the_same_owner_and_expires_with_the_link():
    clock = Clock()
    links = _links(clock=clock)
    url = links.handover_link("demo", "ho_1", "sales-a@demo.dk", "accept")
    companion = links.companion_token("ho_1", "accept", _token(url), "decline")
    assert links.read_handover_link("ho_1", "decline", companion) == ("demo", Actor(kind="link",
                                                                                     owner="sales-a@demo.dk"))
    assert _refusal(links, "ho_1", "accept", companion).expired is False  # it is for decline only
    assert _refusal(links, "ho_2", "decline", companion).expired is False
    clock.now += timedelta(days=14)
    assert _refusal(links, "ho_1", "decline", companion).expired is True


def test_no_companion_comes_from_a_link_that_does_not_hold():
    links = _links()
    url = links.handover_link("demo", "ho_1", "sales-a@demo.dk", "accept")
    with pytest.raises(LinkRefused):
        links.companion_token("ho_2", "accept", _token(url), "decline")
    with pytest.raises(ValueError):
        links.companion_token("ho_1", "accept", _token(url), "outcome")


def test_the_accepted_page_reports_contact_with_a_companion_of_the_accept_link():
    links = _links()
    url = links.handover_link("demo", "ho_1", "sales-a@demo.dk", "accept")
    companion = links.companion_token("ho_1", "accept", _token(url), "contacted")
    assert links.read_handover_link("ho_1", "contacted", companion) == ("demo", Actor(kind="link",
                                                                                       owner="sales-a@demo.dk"))


def test_a_refused_link_names_what_went_wrong_for_programs():
    clock = Clock()
    links = _links(clock=clock)
    url = links.handover_link("demo", "ho_1", "sales-a@demo.dk", "accept")
    assert _refusal(links, "ho_1", "accept", _token(url) + "x").code == "link_invalid"
    clock.now += timedelta(days=15)
    assert _refusal(links, "ho_1", "accept", _token(url)).code == "link_expired"
