"""Agencies' report keys: issued once by the admin, listed without secrets, revoked at once, and good for nothing
but funnel and ROI of their own campaigns (``report_access``)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.errors import Unauthorized
from chalicelib.report_access import ReportAccess, report_access
from tests.conftest import DEMO_KEY, OTHER_KEY, Api, json_body


def _call(api: Api, method: str, path: str, body: Any = None, key: str | None = DEMO_KEY) -> Any:
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return api.client.http.request(method, path, headers=headers,
                                   body=json.dumps(body).encode() if body is not None else b"")


def _issue(api: Api, campaigns: list[str], name: str = "Bureauet", key: str = DEMO_KEY) -> dict[str, Any]:
    response = _call(api, "POST", "/admin/report-keys", {"name": name, "campaigns": campaigns}, key=key)
    assert response.status_code == 201, response.body
    return dict(json_body(response))


def _access(authorization: str | None) -> ReportAccess:
    request = SimpleNamespace(headers={"authorization": authorization} if authorization else {})
    return report_access(request)  # type: ignore[arg-type]


def test_a_report_key_is_shown_once_and_stored_only_as_a_hash(api: Api):
    issued = _issue(api, ["vinter", "forår", "vinter"])

    assert issued["report_key"].startswith("rk_") and issued["key_id"].startswith("rkey_")
    assert issued["campaigns"] == ["vinter", "forår"] and issued["name"] == "Bureauet"
    assert issued["issued_at"] == "2026-11-23T09:30:00.000Z"
    stored = json.dumps(api.items("REPORTKEY#") + api.items("T#demo#REPORTKEYS"))
    assert issued["report_key"] not in stored and issued["key_id"] in stored

    listed = json_body(_call(api, "GET", "/admin/report-keys"))
    assert listed == {"report_keys": [{"key_id": issued["key_id"], "name": "Bureauet",
                                       "campaigns": ["vinter", "forår"], "issued_at": "2026-11-23T09:30:00.000Z"}]}


def test_each_tenant_lists_and_revokes_only_its_own_keys(api: Api):
    ours = _issue(api, ["vinter"])

    assert json_body(_call(api, "GET", "/admin/report-keys", key=OTHER_KEY)) == {"report_keys": []}
    refused = _call(api, "DELETE", f"/admin/report-keys/{ours['key_id']}", key=OTHER_KEY)
    assert refused.status_code == 404 and json_body(refused)["field"] == "key_id"
    assert _access(f"Bearer {ours['report_key']}") == ReportAccess("demo", frozenset({"vinter"}))


def test_report_access_knows_the_admin_key_and_the_report_key_and_nothing_else(api: Api):
    issued = _issue(api, ["vinter", "forår"])

    assert _access(f"Bearer {DEMO_KEY}") == ReportAccess("demo", None)
    assert _access(f"Bearer {issued['report_key']}") == ReportAccess("demo", frozenset({"vinter", "forår"}))
    for wrong in (None, "Bearer rk_made-up", "Bearer not-a-key", issued["report_key"], "Basic abc"):
        with pytest.raises(Unauthorized):
            _access(wrong)


def test_a_revoked_key_stops_at_once_and_revoking_again_finds_nothing(api: Api):
    issued = _issue(api, ["vinter"])
    kept = _issue(api, ["forår"], name="Andet bureau")

    revoked = _call(api, "DELETE", f"/admin/report-keys/{issued['key_id']}")

    assert revoked.status_code == 200 and json_body(revoked) == {"key_id": issued["key_id"], "revoked": True}
    with pytest.raises(Unauthorized):
        _access(f"Bearer {issued['report_key']}")
    assert _access(f"Bearer {kept['report_key']}").campaigns == frozenset({"forår"})
    again = _call(api, "DELETE", f"/admin/report-keys/{issued['key_id']}")
    assert again.status_code == 404
    assert [key["key_id"] for key in json_body(_call(api, "GET", "/admin/report-keys"))["report_keys"]] == [
        kept["key_id"]]


@pytest.mark.parametrize("path", ["/leads", "/admin/journey", "/reports/handovers", "/admin/report-keys",
                                  "/admin/owners", "/admin/costs", "/reports"])
def test_a_report_key_opens_no_other_route(api: Api, path: str):
    issued = _issue(api, ["vinter"])

    response = _call(api, "GET", path, key=issued["report_key"])

    assert response.status_code in (401, 403), (path, response.status_code, response.body)
    assert json_body(response)["field"] == "Authorization"


def test_a_report_key_cannot_issue_or_revoke_keys(api: Api):
    issued = _issue(api, ["vinter"])

    assert _call(api, "POST", "/admin/report-keys", {"campaigns": ["x"]}, key=issued["report_key"]).status_code == 401
    assert _call(api, "DELETE", f"/admin/report-keys/{issued['key_id']}",
                 key=issued["report_key"]).status_code == 401


@pytest.mark.parametrize(("body", "field"), [
    ({}, "campaigns"),
    ({"campaigns": []}, "campaigns"),
    ({"campaigns": "vinter"}, "campaigns"),
    ({"campaigns": ["vinter", ""]}, "campaigns[1]"),
    ({"campaigns": ["vinter", 7]}, "campaigns[1]"),
    ({"campaigns": ["x" * 201]}, "campaigns[0]"),
    ({"campaigns": [f"c{n}" for n in range(101)]}, "campaigns"),
    ({"campaigns": ["vinter"], "name": 5}, "name"),
    ({"campaigns": ["vinter"], "name": "x" * 101}, "name"),
    ({"campaigns": ["vinter"], "expires": "never"}, "expires"),
])
def test_a_wrong_request_names_its_field_and_issues_nothing(api: Api, body: dict[str, Any], field: str):
    response = _call(api, "POST", "/admin/report-keys", body)

    assert response.status_code == 422, response.body
    assert json_body(response)["field"] == field
    assert api.items("REPORTKEY#") == []


def test_report_keys_need_the_admin_key(api: Api):
    assert _call(api, "POST", "/admin/report-keys", {"campaigns": ["vinter"]}, key=None).status_code == 401
    assert _call(api, "GET", "/admin/report-keys", key="wrong").status_code == 401
    assert _call(api, "DELETE", "/admin/report-keys/rkey_000000000000", key=None).status_code == 401
    not_json = api.client.http.post("/admin/report-keys", headers={"Authorization": f"Bearer {DEMO_KEY}",
                                                                   "Content-Type": "application/json"}, body=b"[1")
    assert not_json.status_code == 400
