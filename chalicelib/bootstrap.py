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
from chalicelib.services.action_links import ActionLinks
from chalicelib.services.capture import Capture
from chalicelib.services.forms import Forms
from chalicelib.services.handovers import Handovers, Timers
from chalicelib.services.journeys import Journeys
from chalicelib.services.leads import LeadReader
from chalicelib.services.notify import Mailer, Notifier, WebhookTransport
from chalicelib.services.ports import JourneyStore
from chalicelib.services.tenancy import Tenancy
from chalicelib.settings import Settings
from chalicelib.settings import settings as load_settings


def aws_client(service: str, settings: Settings) -> Any:
    import boto3  # imported on first use: keeps boto3 out of the import of app.py

    return boto3.client(service, region_name=settings.region)  # type: ignore[call-overload]


class NoTimers(Timers):
    """No state machine configured: hand-overs still start, and the sweep drives their ladders."""

    def start(self, tenant_id: str, handover_id: str, due_at: str) -> None:
        return None


@dataclass
class Container:
    settings: Settings = field(default_factory=load_settings)
    clock: Clock = system_clock
    store_override: JourneyStore | None = None
    timers_override: Timers | None = None
    mailer_override: Mailer | None = None
    transport_override: WebhookTransport | None = None
    sleep_override: Any = None

    @cached_property
    def store(self) -> JourneyStore:
        if self.store_override is not None:
            return self.store_override
        from chalicelib.adapters.dynamo_store import DynamoJourneyStore

        return DynamoJourneyStore(self.settings.table_name, aws_client("dynamodb", self.settings))

    @cached_property
    def tenancy(self) -> Tenancy:
        return Tenancy(self.store, self.clock, timedelta(seconds=self.settings.site_cache_seconds))

    @cached_property
    def capture(self) -> Capture:
        return Capture(self.store, self.tenancy, self.clock)

    @cached_property
    def journeys(self) -> Journeys:
        return Journeys(self.store, self.clock, timedelta(seconds=self.settings.site_cache_seconds))

    @cached_property
    def timers(self) -> Timers:
        if self.timers_override is not None:
            return self.timers_override
        if not self.settings.state_machine_arn:
            return NoTimers()
        from chalicelib.adapters.timers import StepFunctionsTimers

        return StepFunctionsTimers(aws_client("stepfunctions", self.settings), self.settings.state_machine_arn)

    @cached_property
    def links(self) -> ActionLinks:
        return ActionLinks(self.settings.link_keyring(), self.settings.public_url, self.clock)

    @cached_property
    def notifier(self) -> Notifier:
        from chalicelib.adapters.notify import HttpWebhookTransport, SesMailer

        mailer = self.mailer_override or SesMailer(aws_client("ses", self.settings), self.settings.ses_sender)
        transport = self.transport_override or HttpWebhookTransport()
        extra = {"sleep": self.sleep_override} if self.sleep_override else {}
        return Notifier(self.store, mailer, transport, self.links, self.clock, **extra)

    @cached_property
    def handovers(self) -> Handovers:
        return Handovers(self.store, self.journeys, lambda: self.timers, lambda: self.notifier, self.clock)

    @cached_property
    def forms(self) -> Forms:
        return Forms(self.store, self.tenancy, self.clock, handovers=self.handovers)

    @cached_property
    def leads(self) -> LeadReader:
        return LeadReader(self.store, self.journeys)


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
