"""Owners an admin can manage: the list, keys issued (shown once, stored hashed) and revoked, and absence."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from chalicelib.domain.routing import Availability
from chalicelib.services.tenancy import availability_of, hash_admin_key
from tests.conftest import DEMO_KEY, OTHER_KEY, Api, json_body


def _admin(api: Api, method: str, path: str, body: Any = None, key: str = DEMO_KEY) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    payload = json.dumps(body).encode() if body is not None else b""
    return api.client.http.request(method, path, headers=headers, body=payload)


def _register(api: Api, owner: str | None = None) -> tuple[str, str]:
    owner = owner or f"saelger-{uuid.uuid4().hex[:6]}@firma.dk"
    response = _admin(api, "POST", "/admin/owners", {"owner": owner, "language": "da"})
    assert response.status_code == 201, response.body
    return owner, str(json_body(response)["user_key"])


def _key_works(api: Api, key: str) -> bool:
    """A valid owner key reads a hand-over that does not exist as 404; any other key is 401."""
    status = api.client.http.get("/handovers/ho_nothing", headers={"Authorization": f"Bearer {key}"}).status_code
    assert status in (401, 404)
    return status == 404


def _listed(api: Api, owner: str, key: str = DEMO_KEY) -> dict[str, Any] | None:
    owners = json_body(_admin(api, "GET", "/admin/owners", key=key))["owners"]
    return next((entry for entry in owners if entry["owner"] == owner), None)


def test_the_owner_list_shows_each_owner_with_active_absence_keys_and_last_activity(api: Api):
    owner, _ = _register(api)
    entry = _listed(api, owner)
    assert entry is not None
    assert entry["email"] == owner and entry["language"] == "da"
    assert entry["active"] is True and entry["away_until"] is None
    assert [key["key_id"] for key in entry["keys"]] == [entry["keys"][0]["key_id"]]
    assert entry["last_activity_at"] == "2026-11-23T09:30:00.000Z"
    assert "user_key" not in json.dumps(entry)


def test_another_tenant_never_sees_these_owners(api: Api):
    owner, _ = _register(api)
    assert _listed(api, owner, key=OTHER_KEY) is None


def test_a_new_key_works_at_once_and_the_old_one_stops(api: Api):
    owner, old_key = _register(api)
    old_key_id = _listed(api, owner)["keys"][0]["key_id"]  # type: ignore[index]
    api.clock.advance(hours=1)
    response = _admin(api, "POST", f"/admin/owners/{owner}/keys")
    assert response.status_code == 201
    issued = json_body(response)
    assert issued["owner"] == owner and issued["user_key"].startswith("uk_")
    assert issued["revoked"] == [old_key_id]
    assert _key_works(api, issued["user_key"]) and not _key_works(api, old_key)
    entry = _listed(api, owner)
    assert entry is not None and [key["key_id"] for key in entry["keys"]] == [issued["key_id"]]
    assert entry["last_activity_at"] == "2026-11-23T10:30:00.000Z"


def test_a_key_is_shown_once_and_stored_only_as_a_hash(api: Api):
    owner, _ = _register(api)
    key = json_body(_admin(api, "POST", f"/admin/owners/{owner}/keys"))["user_key"]
    stored = json.dumps(api.items(), default=str)
    assert key not in stored and hash_admin_key(key) in stored
    assert key not in _admin(api, "GET", "/admin/owners").body.decode()


def test_a_retried_key_request_leaves_only_the_last_answer_working(api: Api):
    owner, _ = _register(api)
    first = json_body(_admin(api, "POST", f"/admin/owners/{owner}/keys"))["user_key"]
    second = json_body(_admin(api, "POST", f"/admin/owners/{owner}/keys"))["user_key"]
    assert _key_works(api, second) and not _key_works(api, first)


def test_a_revoked_key_gets_401_and_revoking_it_again_changes_nothing(api: Api):
    owner, key = _register(api)
    assert _key_works(api, key)
    key_id = _listed(api, owner)["keys"][0]["key_id"]  # type: ignore[index]
    response = _admin(api, "DELETE", f"/admin/owners/{owner}/keys/{key_id}")
    assert response.status_code == 200 and json_body(response)["changed"] is True
    assert json_body(response)["keys"] == []
    assert not _key_works(api, key)
    again = _admin(api, "DELETE", f"/admin/owners/{owner}/keys/{key_id}")
    assert again.status_code == 200 and json_body(again)["changed"] is False


def test_the_original_owner_registration_still_works_and_again_replaces_the_key(api: Api):
    owner, first = _register(api)
    _, second = _register(api, owner)
    assert _key_works(api, second) and not _key_works(api, first)


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/admin/owners/nobody@firma.dk/keys"), ("DELETE", "/admin/owners/nobody@firma.dk/keys/key_x"),
    ("PATCH", "/admin/owners/nobody@firma.dk"),
])
def test_an_unknown_owner_is_404_naming_the_owner(api: Api, method: str, path: str):
    response = _admin(api, method, path, {"active": False} if method == "PATCH" else None)
    assert response.status_code == 404
    assert json_body(response)["field"] == "owner"


def test_an_owner_of_another_tenant_cannot_be_managed(api: Api):
    owner, key = _register(api)
    assert _admin(api, "POST", f"/admin/owners/{owner}/keys", key=OTHER_KEY).status_code == 404
    assert _admin(api, "PATCH", f"/admin/owners/{owner}", {"active": False}, key=OTHER_KEY).status_code == 404
    assert _key_works(api, key) and _listed(api, owner)["active"] is True  # type: ignore[index]


def test_an_owner_can_be_made_inactive_and_active_again(api: Api):
    owner, _ = _register(api)
    response = _admin(api, "PATCH", f"/admin/owners/{owner}", {"active": False})
    assert response.status_code == 200 and json_body(response)["active"] is False
    assert _listed(api, owner)["active"] is False  # type: ignore[index]
    assert json_body(_admin(api, "PATCH", f"/admin/owners/{owner}", {"active": True}))["active"] is True


def test_an_absence_is_kept_in_utc_and_one_in_the_past_means_back(api: Api):
    owner, _ = _register(api)
    away = json_body(_admin(api, "PATCH", f"/admin/owners/{owner}", {"away_until": "2026-12-01T09:00+01:00"}))
    assert away["away_until"] == "2026-12-01T08:00:00.000Z" and away["active"] is True
    back = json_body(_admin(api, "PATCH", f"/admin/owners/{owner}", {"away_until": "2026-11-01"}))
    assert back["away_until"] is None
    _admin(api, "PATCH", f"/admin/owners/{owner}", {"away_until": "2026-12-01"})
    assert json_body(_admin(api, "PATCH", f"/admin/owners/{owner}", {"away_until": None}))["away_until"] is None


@pytest.mark.parametrize(("body", "field"), [
    ({"away_until": "next week"}, "away_until"), ({"away_until": 5}, "away_until"), ({"active": "no"}, "active"),
    ({"colour": "blue"}, "colour"), ({}, "body"), ({"active": False, "email": "x@y.dk"}, "email"),
])
def test_a_bad_owner_change_names_the_field_and_changes_nothing(api: Api, body: dict[str, Any], field: str):
    owner, _ = _register(api)
    response = _admin(api, "PATCH", f"/admin/owners/{owner}", body)
    assert response.status_code == 422
    assert json_body(response)["field"] == field
    assert _listed(api, owner)["active"] is True  # type: ignore[index]


def test_repeating_an_owner_change_answers_the_same(api: Api):
    owner, _ = _register(api)
    answers = [json_body(_admin(api, "PATCH", f"/admin/owners/{owner}", {"active": False, "away_until": "2027-01-01"}))
               for _ in range(2)]
    assert answers[0] == answers[1]


def test_routing_learns_who_is_inactive_or_away(api: Api):
    active, _ = _register(api)
    inactive, _ = _register(api)
    away, _ = _register(api)
    _admin(api, "PATCH", f"/admin/owners/{inactive}", {"active": False})
    _admin(api, "PATCH", f"/admin/owners/{away}", {"away_until": "2026-12-01"})
    known = availability_of(api.repos.tenancy, "demo", [active, inactive, away, "unregistered@firma.dk"])
    assert known == {active: Availability(), inactive: Availability(active=False),
                     away: Availability(away_until="2026-12-01T00:00:00.000Z")}
