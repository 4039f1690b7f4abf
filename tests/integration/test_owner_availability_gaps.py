"""Owners who are away or inactive: never offered a lead when inactive, and a gap that follows from them says
what really happened (to the manager, to the webhook, to the owner who declined, in the reports)."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import DEMO_KEY, Api, json_body
from tests.integration.test_handovers_api import _admin
from tests.integration.test_link_pages import OWNER_A, OWNER_B, _journey, _lead, _links, _page, _post

MANAGER = "manager@demo.dk"
WEBHOOK = {"url": "https://crm.demo.dk/hooks", "secret": "whsec_" + "A" * 32}


def _owner(api: Api, owner: str, **availability: Any) -> None:
    created = _admin(api, "POST", "/admin/owners", {"owner": owner, "language": "da"})
    assert created.status_code in (201, 409), created.body
    if availability:
        changed = _admin(api, "PATCH", f"/admin/owners/{owner}", availability)
        assert changed.status_code == 200, changed.body


def _lead_view(api: Api, lead_id: str) -> dict[str, Any]:
    return dict(json_body(api.client.http.get(f"/leads/{lead_id}", headers={"Authorization": f"Bearer {DEMO_KEY}"})))


def _gap_hooks(api: Api) -> list[dict[str, Any]]:
    messages = [json.loads(body) for _, body, _ in api.webhooks.posted]
    return [message["data"] for message in messages if message["type"] == "handover.gap"]


def _mails_to(api: Api, to: str) -> list[str]:
    return [text for address, _, text in api.mailer.sent if address == to]


def _report(api: Api) -> dict[str, Any]:
    answer = api.client.http.get("/reports/handovers?from=2026-11-23&to=2026-11-24",
                                 headers={"Authorization": f"Bearer {DEMO_KEY}"})
    assert answer.status_code == 200, answer.body
    return dict(json_body(answer))


# --- the decline that leaves nobody ------------------------------------------------------------------------


def test_declining_when_the_others_are_away_ends_in_a_gap_that_says_nobody_was_left(api: Api):
    # Given a journey with a manager, and sales-b away: the lead goes to sales-a alone
    _journey(api, manager_email=MANAGER, webhook=WEBHOOK)
    _owner(api, OWNER_B, away_until="2026-12-24T08:00:00Z")
    lead_id, _ = _lead(api)

    # When sales-a declines by the e-mail's link
    _, decline = _links(api, OWNER_A)
    answer = _post(api, decline)

    # Then the page says nobody else could take it and the manager was told; it does not promise a next one
    page = _page(answer)
    assert answer.status_code == 200
    assert "Ingen andre kunne tage leadet" in page and "Din leder har fået besked" in page
    assert "næste i rækken" not in page
    (handover,) = _lead_view(api, lead_id)["handovers"]
    assert handover["status"] == "gap"
    gap = [event for event in _lead_view(api, lead_id)["timeline"] if event["type"] == "gap"]
    assert [event["cause"] for event in gap] == ["nobody left"]
    (mail,) = _mails_to(api, MANAGER)
    assert ("Ingen andre kunne tage det: de andre, det kunne gå til, har afvist det eller er fraværende/inaktive."
            in mail)
    assert "Alle, det kunne gå til, har afvist det." not in mail
    assert _gap_hooks(api)[-1]["cause"] == "nobody left"
    # And the reports close sales-a's offer once (with the decline), as for everyone declined
    report = _report(api)
    assert (report["gaps"], report["open"]) == (1, 0)
    assert (report["owners"][OWNER_A]["declined"], report["owners"][OWNER_A]["open"]) == (1, 0)


def test_the_decline_page_after_a_gap_with_no_manager_to_tell_says_there_is_nothing_more_to_do(api: Api):
    _journey(api)
    _owner(api, OWNER_B, active=False)
    _lead(api)

    page = _page(_post(api, _links(api, OWNER_A)[1]))

    assert "Ingen andre kunne tage leadet" in page and "Du skal ikke gøre mere." in page
    assert "Din leder" not in page


def test_declining_by_the_link_again_after_the_gap_says_it_ended_without_an_owner(api: Api):
    _journey(api)
    _owner(api, OWNER_B, active=False)
    _lead(api)
    accept, decline = _links(api, OWNER_A)
    _post(api, decline)

    page = _page(_post(api, accept))

    assert "endte uden ejer" in page and "næste i rækken" not in page


def test_a_decline_is_still_everyone_declined_when_nobody_was_passed_over(api: Api):
    _journey(api)
    lead_id, _ = _lead(api)
    _post(api, _links(api, OWNER_A)[1])
    api.run_timers()

    answer = _post(api, _links(api, OWNER_B)[1])

    assert "Leadet går videre til den næste i rækken" not in _page(answer)
    causes = [event["cause"] for event in _lead_view(api, lead_id)["timeline"] if event["type"] == "gap"]
    assert causes == ["everyone declined"]


# --- never an inactive owner ---------------------------------------------------------------------------------


def test_when_every_owner_is_inactive_the_lead_starts_as_an_announced_gap(api: Api):
    # Given both owners of the route inactive
    _journey(api, manager_email=MANAGER, webhook=WEBHOOK)
    for owner in (OWNER_A, OWNER_B):
        _owner(api, owner, active=False)
    sent_before = len(api.mailer.sent)

    # When a lead arrives
    lead_id, _ = _lead(api)

    # Then nobody inactive is offered it: the hand-over is a gap at once, told to the manager and the webhook
    (handover,) = _lead_view(api, lead_id)["handovers"]
    assert handover["status"] == "gap" and handover["owner"] in ("", None)
    kinds = [(event["type"], event.get("cause")) for event in _lead_view(api, lead_id)["timeline"]
             if event["type"] in ("handover_started", "notified", "gap")]
    assert kinds == [("handover_started", None), ("gap", "no active owner")]
    new_mail = api.mailer.sent[sent_before:]
    assert [address for address, _, _ in new_mail] == [MANAGER]
    assert "Alle ejere, det kunne gå til, er inaktive." in new_mail[0][2]
    assert "Leadet kunne ikke gives til nogen" in new_mail[0][2]
    assert _gap_hooks(api)[-1]["cause"] == "no active owner"
    api.clock.advance(hours=48)
    api.run_timers()
    assert [address for address, _, _ in api.mailer.sent[sent_before:]] == [MANAGER]  # no ladder runs
    report = _report(api)
    assert (report["handovers"], report["gaps"], report["open"]) == (1, 1, 0)
    assert OWNER_A not in report["owners"] and OWNER_B not in report["owners"]


def test_an_away_owner_is_the_last_resort_but_an_inactive_one_never(api: Api):
    _journey(api)
    _owner(api, OWNER_A, active=False)
    _owner(api, OWNER_B, away_until="2026-12-24T08:00:00Z")

    lead_id, _ = _lead(api)

    (handover,) = _lead_view(api, lead_id)["handovers"]
    assert handover["owner"] == OWNER_B and handover["status"] == "offered"
    assert not _mails_to(api, OWNER_A)
    started = [event for event in _lead_view(api, lead_id)["timeline"] if event["type"] == "handover_started"]
    assert "away" in started[0]["note"]
