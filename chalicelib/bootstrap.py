"""The only wiring point: builds adapters on first use and hands them to the services.

Nothing here runs at import time, so a test (or moto) can take over first and a cold start pays
only for what its handler uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any

from chalicelib.domain.clock import Clock, system_clock
from chalicelib.services.capture import Capture
from chalicelib.services.forms import Forms
from chalicelib.services.leads import LeadReader
from chalicelib.services.ports import JourneyStore
from chalicelib.services.tenancy import Tenancy
from chalicelib.settings import Settings
from chalicelib.settings import settings as load_settings


def dynamodb_client(settings: Settings) -> Any:
    import boto3  # imported on first use: keeps boto3 out of the import of app.py

    return boto3.client("dynamodb", region_name=settings.region)


@dataclass
class Container:
    settings: Settings = field(default_factory=load_settings)
    clock: Clock = system_clock
    store_override: JourneyStore | None = None

    @cached_property
    def store(self) -> JourneyStore:
        if self.store_override is not None:
            return self.store_override
        from chalicelib.adapters.dynamo_store import DynamoJourneyStore

        return DynamoJourneyStore(self.settings.table_name, dynamodb_client(self.settings))

    @cached_property
    def tenancy(self) -> Tenancy:
        return Tenancy(self.store, self.clock, timedelta(seconds=self.settings.site_cache_seconds))

    @cached_property
    def capture(self) -> Capture:
        return Capture(self.store, self.tenancy, self.clock)

    @cached_property
    def forms(self) -> Forms:
        return Forms(self.store, self.tenancy, self.clock)

    @cached_property
    def leads(self) -> LeadReader:
        return LeadReader(self.store)


_container: Container | None = None


def container() -> Container:
    global _container
    if _container is None:
        _container = Container()
    return _container


def use(replacement: Container | None) -> None:
    """Swap the wiring (tests, the local stack); ``None`` goes back to building from settings."""
    global _container
    _container = replacement
