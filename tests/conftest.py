"""Shared fixtures: a frozen clock, the journey table under moto, the API through chalice's test client."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

# The demo website is a local-stage feature; the tests import the app as the local stack does.
os.environ.setdefault("DEMO_SITE", "true")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Leadtrail")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "leadtrail")
for _name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
    os.environ.pop(_name, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_SECURITY_TOKEN="testing",
    AWS_SESSION_TOKEN="testing", AWS_DEFAULT_REGION="eu-west-1", AWS_REGION="eu-west-1",
)

from chalice.test import Client  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib import bootstrap  # noqa: E402
from chalicelib.adapters.dynamo import Repositories  # noqa: E402
from chalicelib.adapters.notify import MemoryMailer  # noqa: E402
from chalicelib.adapters.timers import ManualTimers  # noqa: E402
from chalicelib.adapters.webhooks import MemoryWebhookTransport  # noqa: E402
from chalicelib.domain.capture import Site  # noqa: E402
from chalicelib.local import emulator  # noqa: E402
from chalicelib.local.provision import create_tables  # noqa: E402
from chalicelib.services.ports import Tenant, TenantRegistry  # noqa: E402
from chalicelib.services.tenancy import register_tenant  # noqa: E402
from chalicelib.settings import Settings  # noqa: E402
from tests.contract import ContractCheckedHttp  # noqa: E402

# The in-process moto gets the local stack's patches that keep each request's cost independent of the table's
# size (chalicelib/local/emulator.py says why each is equivalent to moto's own behaviour): without them every
# transaction deep-copies the whole table and its stream, and a 30-lead scenario took 140 s. The stream is not
# trimmed here (StreamTap reads it by position), and the server-only patches do not apply in-process. Item reads
# are answered without moto's model-driven serialiser, as in the local stack.
emulator.snapshot_touched_items()
emulator.query_one_partition()
emulator.stop_instance_tracking()
emulator.answer_item_reads_as_json()

EVENTS = Path(__file__).resolve().parents[1] / "events"
DEMO_ORIGIN = "https://www.nordlys-solar.dk"
OTHER_ORIGIN = "https://other.example"
DEMO_KEY = "demo-admin-key"
OTHER_KEY = "other-admin-key"


class FrozenClock:
    """Time stands still until a test moves it."""

    def __init__(self, now: datetime | None = None):
        self.now = now or datetime(2026, 11, 23, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def load_event(name: str) -> dict[str, Any]:
    """A sample event from ``events/``, shared by tests and by hand."""
    return dict(json.loads((EVENTS / f"{name}.json").read_text()))


def seed_tenants(store: TenantRegistry) -> None:
    register_tenant(
        store, Tenant("demo", "Nordlys Solar ApS", "da"),
        [Site("demo", "demo", (DEMO_ORIGIN, "http://127.0.0.1:8000"), "da")], [DEMO_KEY],
    )
    register_tenant(store, Tenant("other", "Other A/S", "en"), [Site("other", "other", (OTHER_ORIGIN,), "en")],
                    [OTHER_KEY])


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    """A DynamoDB client on moto with the journey table built from infra/template.json."""
    with mock_aws():
        import boto3

        client = boto3.client("dynamodb", region_name="eu-west-1")
        yield client


@pytest.fixture
def table_name(dynamodb: Any) -> str:
    name = f"journey-{uuid.uuid4().hex[:8]}"
    create_tables(dynamodb, {"JourneyTable": name})
    return name


@pytest.fixture
def repos(dynamodb: Any, table_name: str) -> Repositories:
    """Every repository of the journey table, on moto."""
    return Repositories(table_name, dynamodb)


class StreamTap:
    """The table's change stream as moto records it, read from where the last read stopped.

    The in-process emulator answers the streams API with "not yet implemented", but it does keep the
    records; the local stack reads the same records through the API of the moto server.
    """

    def __init__(self, table_name: str):
        self.table_name = table_name
        self.position = 0

    def new_records(self) -> list[dict[str, Any]]:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        shard = dynamodb_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].get_table(self.table_name).stream_shard
        assert shard is not None, "the journey table has no stream"
        records = [record.to_json() for record in shard.items[self.position:]]
        self.position += len(records)
        return records


def drain(tap: StreamTap, wiring: bootstrap.Container) -> int:
    """Run the change-stream consumers over every record written so far, as the Lambda trigger would."""
    from chalicelib.local.provision import mapped_batches

    handled = 0
    while records := tap.new_records():
        for _, batch in mapped_batches(records):  # only what the template's filters hand the consumer
            answer = wiring.change_stream.handle_batch({"Records": batch})
            assert not answer["batchItemFailures"], answer
        handled += len(records)
    return handled


@dataclass
class Api:
    client: Client
    repos: Repositories
    clock: FrozenClock
    dynamodb: Any
    wiring: bootstrap.Container
    timers: ManualTimers
    mailer: MemoryMailer
    webhooks: MemoryWebhookTransport
    tap: StreamTap
    raw_http: Any

    def drain(self) -> int:
        return drain(self.tap, self.wiring)

    def run_timers(self) -> int:
        """Fire every hand-over timer due at the clock's time, as the state machine would."""
        self.drain()
        fired = self.timers.run_due(self.clock(), self.wiring.fire_due)
        self.drain()
        return fired

    def items(self, prefix: str = "") -> list[dict[str, Any]]:
        """Every item in the table whose pk starts with ``prefix`` (to prove what was, or was not, stored)."""
        answer = self.dynamodb.scan(TableName=self.repos.table_name)
        items: list[dict[str, Any]] = answer["Items"]
        while "LastEvaluatedKey" in answer:
            answer = self.dynamodb.scan(TableName=self.repos.table_name, ExclusiveStartKey=answer["LastEvaluatedKey"])
            items += answer["Items"]
        return [item for item in items if item["pk"]["S"].startswith(prefix)]

    def kinds(self) -> list[str]:
        return sorted(item["kind"]["S"] for item in self.items() if "kind" in item)


@pytest.fixture
def api(repos: Repositories, clock: FrozenClock, dynamodb: Any) -> Iterator[Api]:
    """The HTTP API on moto, with the ``demo`` and ``other`` tenants seeded.

    After each request the change stream's consumers run (e-mails, webhooks, timer starts, counters);
    ``api.raw_http`` is the client without that, to see what a request does by itself. Every answer either gets
    is checked against ``/openapi.json`` (``tests.contract``).
    """
    seed_tenants(repos.tenancy)
    settings = Settings(stage="test", table_name=repos.table_name, demo_site=True, site_cache_seconds=0,
                        link_secret="test-link-secret", public_url="https://api.leadtrail.test")
    timers, mailer, webhooks = ManualTimers(), MemoryMailer(), MemoryWebhookTransport()
    wiring = bootstrap.Container(settings=settings, clock=clock, dynamodb_client=dynamodb, timers_override=timers,
                                 mailer_override=mailer, transport_override=webhooks, sleep_override=lambda _: None)
    bootstrap.use(wiring)
    from app import app

    tap = StreamTap(repos.table_name)
    tap.new_records()  # the seeding is not a change anyone follows
    with Client(app) as client:
        raw_http = ContractCheckedHttp(client.http)
        client._http_client = ContractCheckedHttp(client.http, lambda: drain(tap, wiring))  # type: ignore[assignment]
        yield Api(client=client, repos=repos, clock=clock, dynamodb=dynamodb, wiring=wiring, timers=timers,
                  mailer=mailer, webhooks=webhooks, tap=tap, raw_http=raw_http)
    bootstrap.use(None)


def json_body(response: Any) -> Any:
    return json.loads(response.body)
