"""The journey table in DynamoDB: ``keys`` (the access patterns), one codec and one repository per aggregate,
and the tagged transaction builder. ``Repositories`` builds them all on one table."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from chalicelib.domain.clock import Clock, system_clock

if TYPE_CHECKING:  # each repository is imported when first built: a page view's cold start loads two
    from chalicelib.adapters.dynamo.capture import DynamoCapture
    from chalicelib.adapters.dynamo.costs import DynamoCosts
    from chalicelib.adapters.dynamo.counters import DynamoCounters
    from chalicelib.adapters.dynamo.dead_letters import DynamoDeadLetters
    from chalicelib.adapters.dynamo.funnel import DynamoFunnel
    from chalicelib.adapters.dynamo.handovers import DynamoHandovers
    from chalicelib.adapters.dynamo.journeys import DynamoJourneys
    from chalicelib.adapters.dynamo.leads import DynamoLeads
    from chalicelib.adapters.dynamo.processed import DynamoProcessedEvents
    from chalicelib.adapters.dynamo.table import Table
    from chalicelib.adapters.dynamo.tenancy import DynamoTenancy


@dataclass
class Repositories:
    table_name: str
    client: Any
    clock: Clock = system_clock  # what "today" is to the stores that ask (the funnel's landing rows)

    @cached_property
    def table(self) -> Table:
        from chalicelib.adapters.dynamo.table import Table

        return Table(self.table_name, self.client)

    @cached_property
    def tenancy(self) -> DynamoTenancy:
        from chalicelib.adapters.dynamo.tenancy import DynamoTenancy

        return DynamoTenancy(self.table)

    @cached_property
    def journeys(self) -> DynamoJourneys:
        from chalicelib.adapters.dynamo.journeys import DynamoJourneys

        return DynamoJourneys(self.table)

    @cached_property
    def capture(self) -> DynamoCapture:
        from chalicelib.adapters.dynamo.capture import DynamoCapture

        return DynamoCapture(self.table)

    @cached_property
    def leads(self) -> DynamoLeads:
        from chalicelib.adapters.dynamo.leads import DynamoLeads

        return DynamoLeads(self.table)

    @cached_property
    def handovers(self) -> DynamoHandovers:
        from chalicelib.adapters.dynamo.handovers import DynamoHandovers

        return DynamoHandovers(self.table)

    @cached_property
    def counters(self) -> DynamoCounters:
        from chalicelib.adapters.dynamo.counters import DynamoCounters

        return DynamoCounters(self.table)

    @cached_property
    def funnel(self) -> DynamoFunnel:
        from chalicelib.adapters.dynamo.funnel import DynamoFunnel

        return DynamoFunnel(self.table, clock=self.clock)

    @cached_property
    def dead_letters(self) -> DynamoDeadLetters:
        from chalicelib.adapters.dynamo.dead_letters import DynamoDeadLetters

        return DynamoDeadLetters(self.table)

    @cached_property
    def processed(self) -> DynamoProcessedEvents:
        from chalicelib.adapters.dynamo.processed import DynamoProcessedEvents

        return DynamoProcessedEvents(self.table)

    @cached_property
    def costs(self) -> DynamoCosts:
        from chalicelib.adapters.dynamo.costs import DynamoCosts

        return DynamoCosts(self.table)
