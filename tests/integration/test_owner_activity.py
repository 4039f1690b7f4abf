"""An owner's last activity in the admin's list: its own last accept, decline or contact report, kept from the
change stream; until it has acted, when it was registered or given a key. Never moved backwards."""

from __future__ import annotations

import copy
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.services.ports import OwnerKey
from tests.conftest import DEMO_KEY, Api, StreamTap, json_body
from tests.integration.test_handovers_api import JOURNEY, _act, _admin, _handover, _lead, _owner_key
from tests.integration.test_link_pages import _links, _post

OWNER = "sales-a@demo.dk"
REGISTERED_AT = "2026-11-23T09:30:00.000Z"


def _journey_to(api: Api, *owners: str) -> None:
    journey = copy.deepcopy(JOURNEY)
    journey["handovers"][0]["route"]["owners"] = list(owners)
    journey["handovers"][0]["sla"] = {"accept_within": "PT4H", "contact_within": "PT24H"}
    response = _admin(api, "PUT", "/admin/journey", journey)
    assert response.status_code == 200, response.body


def _activity(api: Api, owner: str = OWNER) -> tuple[str | None, str | None]:
    answer = _admin(api, "GET", "/admin/owners")
    assert answer.status_code == 200, answer.body
    entry = next(entry for entry in json_body(answer)["owners"] if entry["owner"] == owner)
    return entry["last_activity_at"], entry["last_activity_kind"]


def _offer(api: Api) -> str:
    """A new lead offered to the journey's owner (the offer e-mail sent); the hand-over's id."""
    lead_id = _lead(api)
    api.run_timers()
    return str(_handover(api, lead_id)["handover_id"])


def _redeliver(api: Api, event_type: str) -> None:
    """The stream hands the consumers every record of that event type again, as a retried batch would."""
    records = [record for record in StreamTap(api.repos.table_name).new_records()
               if record.get("dynamodb", {}).get("NewImage", {}).get("type", {}).get("S") == event_type]
    assert records
    answer = api.wiring.change_stream.handle_batch({"Records": records})
    assert not answer["batchItemFailures"], answer


def test_a_registered_owner_who_never_acted_shows_when_it_was_registered(api: Api):
    _owner_key(api, OWNER)
    assert _activity(api) == (REGISTERED_AT, "registered")


def test_a_new_key_for_an_owner_who_never_acted_shows_when_the_key_was_issued(api: Api):
    _owner_key(api, OWNER)
    api.clock.advance(hours=2)
    assert _admin(api, "POST", f"/admin/owners/{OWNER}/keys").status_code == 201
    assert _activity(api) == ("2026-11-23T11:30:00.000Z", "key_issued")


def test_accepting_a_lead_makes_the_accept_the_owners_last_activity(api: Api):
    # Given a registered owner the journey hands leads to
    key = _owner_key(api, OWNER)
    _journey_to(api, OWNER)
    handover_id = _offer(api)

    # When the owner accepts an hour later
    api.clock.advance(hours=1)
    assert _act(api, handover_id, "accept", key).status_code == 200

    # Then the admin's list shows the accept
    assert _activity(api) == ("2026-11-23T10:30:00.000Z", "accepted")


def test_a_later_decline_and_a_contact_report_by_the_same_owner_move_it_forwards(api: Api):
    key = _owner_key(api, OWNER)
    _journey_to(api, OWNER)
    first, second = _offer(api), _offer(api)
    api.clock.advance(hours=1)
    _act(api, first, "accept", key)

    api.clock.advance(hours=1)
    assert _act(api, second, "decline", key, {"reason": "for langt væk"}).status_code == 200
    assert _activity(api) == ("2026-11-23T11:30:00.000Z", "declined")

    api.clock.advance(hours=1)
    assert _act(api, first, "contacted", key).status_code == 200
    assert _activity(api) == ("2026-11-23T12:30:00.000Z", "contacted")


def test_an_older_event_delivered_again_never_moves_it_back(api: Api):
    # Given an accept at 10:30 and a later decline at 11:30
    key = _owner_key(api, OWNER)
    _journey_to(api, OWNER)
    first, second = _offer(api), _offer(api)
    api.clock.advance(hours=1)
    _act(api, first, "accept", key)
    api.clock.advance(hours=1)
    _act(api, second, "decline", key)

    # When the stream delivers the accept again, and the decline itself again
    _redeliver(api, "accepted")
    _redeliver(api, "declined")

    # Then the decline stands
    assert _activity(api) == ("2026-11-23T11:30:00.000Z", "declined")


def test_revoking_or_issuing_a_key_after_the_owner_acted_leaves_the_last_activity(api: Api):
    key = _owner_key(api, OWNER)
    _journey_to(api, OWNER)
    handover_id = _offer(api)
    api.clock.advance(hours=1)
    _act(api, handover_id, "accept", key)
    key_id = json_body(_admin(api, "GET", "/admin/owners"))["owners"][0]["keys"][0]["key_id"]

    api.clock.advance(hours=1)
    revoked = _admin(api, "DELETE", f"/admin/owners/{OWNER}/keys/{key_id}")
    assert revoked.status_code == 200, revoked.body
    assert (json_body(revoked)["last_activity_at"], json_body(revoked)["last_activity_kind"]) == (
        "2026-11-23T10:30:00.000Z", "accepted")
    assert _admin(api, "POST", f"/admin/owners/{OWNER}/keys").status_code == 201
    assert _activity(api) == ("2026-11-23T10:30:00.000Z", "accepted")


def test_an_admin_acting_for_the_owner_is_not_the_owners_activity(api: Api):
    _owner_key(api, OWNER)
    _journey_to(api, OWNER)
    handover_id = _offer(api)
    api.clock.advance(hours=1)
    assert _act(api, handover_id, "accept", DEMO_KEY).status_code == 200
    assert _activity(api) == (REGISTERED_AT, "registered")


def test_accepting_by_the_e_mails_link_counts_as_the_owners_activity(api: Api):
    _owner_key(api, OWNER)
    _journey_to(api, OWNER)
    _offer(api)
    api.clock.advance(minutes=5)
    accept, _ = _links(api, OWNER)
    assert _post(api, accept).status_code == 200
    assert _activity(api) == ("2026-11-23T09:35:00.000Z", "accepted")


def test_an_unregistered_owners_accept_creates_no_owner_and_fails_nothing(api: Api):
    # Given a journey that names an owner nobody registered
    owner = "uregistreret@demo.dk"
    _journey_to(api, owner)
    handover_id = _offer(api)

    # When it accepts by the e-mail's link (the stream is drained after the request and must not fail)
    accept, _ = _links(api, owner)
    assert _post(api, accept).status_code == 200

    # Then the lead is accepted, and there is still no such owner
    assert json_body(_admin(api, "GET", f"/handovers/{handover_id}"))["status"] == "accepted"
    assert owner not in [entry["owner"] for entry in json_body(_admin(api, "GET", "/admin/owners"))["owners"]]
    assert api.repos.tenancy.table.get(keys.owner("demo", owner)) is None


# --- the repository on moto ------------------------------------------------------------------------------


def _stored(repos: Any, owner: str = OWNER) -> tuple[str | None, str | None]:
    (found,) = repos.tenancy.owners("demo", [owner])
    return found.last_activity_at, found.last_activity_kind


def test_the_repository_moves_the_last_activity_only_forwards_and_only_for_registered_owners(repos: Any):
    tenancy = repos.tenancy
    key = OwnerKey(key_id="key_1", key_hash="hash-1", issued_at=REGISTERED_AT)
    tenancy.save_owner("demo", OWNER, OWNER, "da", key.key_hash, key)
    assert _stored(repos) == (None, None)

    assert tenancy.record_owner_activity("demo", OWNER, "2026-11-23T11:00:00.000Z", "declined")
    assert not tenancy.record_owner_activity("demo", OWNER, "2026-11-23T10:00:00.000Z", "accepted")
    assert not tenancy.record_owner_activity("demo", OWNER, "2026-11-23T11:00:00.000Z", "contacted")
    assert _stored(repos) == ("2026-11-23T11:00:00.000Z", "declined")
    assert tenancy.record_owner_activity("demo", OWNER, "2026-11-23T12:00:00.000Z", "contacted")
    assert _stored(repos) == ("2026-11-23T12:00:00.000Z", "contacted")

    assert not tenancy.record_owner_activity("demo", "nobody@demo.dk", "2026-11-23T12:00:00.000Z", "accepted")
    assert tenancy.owners("demo", ["nobody@demo.dk"]) == []
    assert tenancy.owners("other", [OWNER]) == []


def test_registering_again_keys_and_availability_keep_the_last_activity(repos: Any):
    tenancy = repos.tenancy
    key = OwnerKey(key_id="key_1", key_hash="hash-1", issued_at=REGISTERED_AT)
    tenancy.save_owner("demo", OWNER, OWNER, "da", key.key_hash, key)
    tenancy.record_owner_activity("demo", OWNER, "2026-11-23T11:00:00.000Z", "accepted")

    tenancy.save_owner("demo", OWNER, "ny@demo.dk", "en", "hash-2",
                       OwnerKey(key_id="key_2", key_hash="hash-2", issued_at="2026-11-23T12:00:00.000Z"))
    tenancy.replace_owner_keys("demo", OWNER, OwnerKey(key_id="key_3", key_hash="hash-3",
                                                       issued_at="2026-11-23T13:00:00.000Z"))
    tenancy.revoke_owner_key("demo", OWNER, "key_3")
    tenancy.set_owner_availability("demo", OWNER, {"active": False, "away_until": None})

    (owner,) = tenancy.owners("demo", [OWNER])
    assert (owner.email, owner.language, owner.keys, owner.active) == ("ny@demo.dk", "en", (), False)
    assert (owner.last_activity_at, owner.last_activity_kind) == ("2026-11-23T11:00:00.000Z", "accepted")
    assert tenancy.owner_for_key("hash-3") is None and tenancy.owner_for_key("hash-1") is None
