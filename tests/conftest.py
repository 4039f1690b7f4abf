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
from chalicelib.adapters.dynamo_store import DynamoJourneyStore  # noqa: E402
from chalicelib.adapters.memory_store import InMemoryJourneyStore  # noqa: E402
from chalicelib.adapters.notify import MemoryMailer, MemoryWebhookTransport  # noqa: E402
from chalicelib.adapters.timers import ManualTimers  # noqa: E402
from chalicelib.domain.capture import Site  # noqa: E402
from chalicelib.local.provision import create_tables  # noqa: E402
from chalicelib.services.ports import JourneyStore, Tenant  # noqa: E402
from chalicelib.services.tenancy import register_tenant  # noqa: E402
from chalicelib.settings import Settings  # noqa: E402

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


def seed_tenants(store: JourneyStore) -> None:
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
def dynamo_store(dynamodb: Any, table_name: str) -> DynamoJourneyStore:
    return DynamoJourneyStore(table_name, dynamodb)


@pytest.fixture(params=["memory", "dynamodb"])
def any_store(request: pytest.FixtureRequest) -> JourneyStore:
    """The contract: the in-memory fake and the real store behave the same."""
    if request.param == "memory":
        return InMemoryJourneyStore()
    store: JourneyStore = request.getfixturevalue("dynamo_store")
    return store


@dataclass
class Api:
    client: Client
    store: DynamoJourneyStore
    clock: FrozenClock
    dynamodb: Any
    wiring: bootstrap.Container
    timers: ManualTimers
    mailer: MemoryMailer
    webhooks: MemoryWebhookTransport

    def run_timers(self) -> int:
        """Fire every hand-over timer due at the clock's time, as the state machine would."""
        return self.timers.run_due(self.clock(), self.wiring.handovers.fire_due)

    def items(self, prefix: str = "") -> list[dict[str, Any]]:
        """Every item in the table whose pk starts with ``prefix`` (to prove what was, or was not, stored)."""
        answer = self.dynamodb.scan(TableName=self.store.table_name)
        return [item for item in answer["Items"] if item["pk"]["S"].startswith(prefix)]

    def kinds(self) -> list[str]:
        return sorted(item["kind"]["S"] for item in self.items() if "kind" in item)


@pytest.fixture
def api(dynamo_store: DynamoJourneyStore, clock: FrozenClock, dynamodb: Any) -> Iterator[Api]:
    """The HTTP API on moto, with the ``demo`` and ``other`` tenants seeded."""
    seed_tenants(dynamo_store)
    settings = Settings(stage="test", table_name=dynamo_store.table_name, demo_site=True, site_cache_seconds=0,
                        link_secret="test-link-secret", public_url="https://api.leadtrail.test")
    timers, mailer, webhooks = ManualTimers(), MemoryMailer(), MemoryWebhookTransport()
    wiring = bootstrap.Container(settings=settings, clock=clock, store_override=dynamo_store, timers_override=timers,
                                 mailer_override=mailer, transport_override=webhooks, sleep_override=lambda _: None)
    bootstrap.use(wiring)
    from app import app

    with Client(app) as client:
        yield Api(client=client, store=dynamo_store, clock=clock, dynamodb=dynamodb, wiring=wiring, timers=timers,
                  mailer=mailer, webhooks=webhooks)
    bootstrap.use(None)


def json_body(response: Any) -> Any:
    return json.loads(response.body)
