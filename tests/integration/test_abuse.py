"""A flood of bad input cannot fill the table: each sender's rejected records are capped per day, spread over
shards; what goes past the cap is counted, not kept, and another sender's input is still kept."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamo.capture import REJECTED_PER_SENDER_PER_DAY
from tests.conftest import DEMO_ORIGIN, Api


def _bad_batch(api: Api, ip: str) -> Any:
    return api.client.http.post("/collect", headers={"Content-Type": "text/plain", "Origin": DEMO_ORIGIN,
                                                     "X-Test-Source-Ip": ip}, body=b"{not json")


def test_one_senders_flood_of_bad_input_is_kept_only_up_to_the_daily_cap(api: Api, monkeypatch: Any):
    import app

    # chalice's test client sends no client address; here a header stands in for API Gateway's source IP.
    monkeypatch.setattr(app, "client_ip", lambda request: request.headers.get("x-test-source-ip"))
    for _ in range(REJECTED_PER_SENDER_PER_DAY + 30):
        assert _bad_batch(api, "203.0.113.7").status_code == 400
    assert _bad_batch(api, "198.51.100.9").status_code == 400

    rejected = [item for item in api.items() if "REJECTED#" in item["pk"]["S"]]
    assert len(rejected) == REJECTED_PER_SENDER_PER_DAY + 1, "the flood stops at the cap; the other sender is kept"
    assert len({item["pk"]["S"] for item in rejected}) > 1, "spread over the day's shards"
