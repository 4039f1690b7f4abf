"""The only wiring point: builds adapters on first use and hands them to the services.

Nothing here runs at import time, so a test (or moto) can take over first and a cold start pays
only for what its handler uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from chalicelib.domain.clock import Clock, system_clock
from chalicelib.settings import Settings
from chalicelib.settings import settings as load_settings

if TYPE_CHECKING:
    # Each service is imported by the property that builds it: a page view's cold start loads only capture.
    from chalicelib.adapters.dynamo import Repositories
    from chalicelib.consumers.stream import ChangeStream
    from chalicelib.services.action_links import ActionLinks
    from chalicelib.services.capture import Capture
    from chalicelib.services.costs import Costs
    from chalicelib.services.forms import Forms
    from chalicelib.services.handovers import Handovers, Timers
    from chalicelib.services.journeys import Journeys
    from chalicelib.services.leads import LeadReader
    from chalicelib.services.notify import Mailer, Notifier
    from chalicelib.services.reports import Reports
    from chalicelib.services.tenancy import Tenancy
    from chalicelib.services.webhook_port import WebhookTransport


def aws_client(service: str, settings: Settings) -> Any:
    import boto3  # imported on first use: keeps boto3 out of the import of app.py

    return boto3.client(service, region_name=settings.region)  # type: ignore[call-overload]


@dataclass
class Container:
    settings: Settings = field(default_factory=load_settings)
    clock: Clock = system_clock
    # The DynamoDB client to use (tests hand in moto's); built from settings when None.
    dynamodb_client: Any = None
    timers_override: Timers | None = None
    mailer_override: Mailer | None = None
    transport_override: WebhookTransport | None = None
    sleep_override: Any = None

    @cached_property
    def repositories(self) -> Repositories:
        from chalicelib.adapters.dynamo import Repositories

        client = self.dynamodb_client or aws_client("dynamodb", self.settings)
        return Repositories(self.settings.table_name, client, self.clock)

    @cached_property
    def tenancy(self) -> Tenancy:
        from chalicelib.services.tenancy import Tenancy

        return Tenancy(self.repositories.tenancy, self.clock, timedelta(seconds=self.settings.site_cache_seconds))

    @cached_property
    def capture(self) -> Capture:
        from chalicelib.services.capture import Capture

        return Capture(self.repositories.capture, self.tenancy, self.clock)

    @cached_property
    def journeys(self) -> Journeys:
        from chalicelib.services.journeys import Journeys

        return Journeys(self.repositories.journeys, self.clock, timedelta(seconds=self.settings.site_cache_seconds),
                        page_views_kept=self.repositories.tenancy.set_page_view_retention)

    @cached_property
    def timers(self) -> Timers:
        if self.timers_override is not None:
            return self.timers_override
        if not self.settings.state_machine_arn:
            from chalicelib.adapters.timers import NoTimers

            return NoTimers()
        from chalicelib.adapters.timers import StepFunctionsTimers

        return StepFunctionsTimers(aws_client("stepfunctions", self.settings), self.settings.state_machine_arn)

    @cached_property
    def links(self) -> ActionLinks:
        from chalicelib.services.action_links import ActionLinks

        return ActionLinks(self.settings.link_keyring(), self.settings.public_url, self.clock)

    @cached_property
    def notifier(self) -> Notifier:
        from chalicelib.adapters.notify import SesMailer
        from chalicelib.adapters.webhooks import HttpWebhookTransport
        from chalicelib.services.notify import Notifier

        mailer = self.mailer_override or SesMailer(aws_client("ses", self.settings), self.settings.ses_sender)
        # Plain http and private addresses only where the receiver is on this machine.
        transport = self.transport_override or HttpWebhookTransport(
            allow_private=self.settings.stage in ("local", "test"))
        extra = {"sleep": self.sleep_override} if self.sleep_override else {}
        repositories = self.repositories

        def reseller_manager(tenant_id: str, reseller_id: str) -> str | None:
            reseller = self.reseller_store.reseller(tenant_id, reseller_id)
            return reseller.manager if reseller is not None else None

        return Notifier(repositories.tenancy, repositories.dead_letters, mailer, transport, self.links, self.clock,
                        reseller_manager=reseller_manager, **extra)

    @cached_property
    def handovers(self) -> Handovers:
        from chalicelib.services.handovers import Handovers

        repositories = self.repositories
        return Handovers(repositories.leads, repositories.handovers, self.journeys, self.clock,
                         contacts=repositories.tenancy, resellers=lambda tenant_id: self.resellers.resellers(tenant_id))

    @cached_property
    def reseller_store(self) -> Any:
        """The resellers' directory and ledger (one adapter implements both ports)."""
        from chalicelib.adapters.dynamo.resellers import DynamoResellers

        return DynamoResellers(self.repositories.table)

    @cached_property
    def resellers(self) -> Any:
        """The producer's resellers: registered, changed, keyed (``/admin/resellers``)."""
        from chalicelib.services.resellers import Resellers

        return Resellers(self.reseller_store, self.repositories.tenancy, self.journeys, self.clock)

    @cached_property
    def reseller_desk(self) -> Any:
        """What a reseller does with its key (``/reseller/...``)."""
        from chalicelib.services.resellers import ResellerDesk

        repositories = self.repositories
        return ResellerDesk(self.resellers, repositories.leads, repositories.handovers, self.handovers,
                            self.outcomes, self.journeys, self.clock)

    @cached_property
    def reseller_sales(self) -> Any:
        """Closed sales a reseller reports in bulk, and the producer's feed of end customers."""
        from chalicelib.services.reseller_sales import ResellerSales

        return ResellerSales(self.resellers, self.reseller_store, self.reseller_desk, self.repositories.handovers,
                             self.clock)

    @cached_property
    def reseller_report(self) -> Any:
        from chalicelib.services.reseller_reports import ResellerReport

        return ResellerReport(self.reseller_store, lambda tenant_id: self.resellers.resellers(tenant_id),
                              self.reports.days)

    @cached_property
    def survey_store(self) -> Any:
        from chalicelib.adapters.dynamo.surveys import DynamoSurveys

        return DynamoSurveys(self.repositories.table)

    @cached_property
    def surveys(self) -> Any:
        """End-customer surveys: planned from the stream, sent by the timers, answered on /s/{token}."""
        from chalicelib.services.surveys import Surveys

        repositories = self.repositories
        return Surveys(self.survey_store, repositories.leads, repositories.handovers, self.journeys,
                       repositories.tenancy, lambda tenant_id: self.resellers.resellers(tenant_id),
                       self.settings.link_keyring(), self.settings.public_url, self.clock)

    @cached_property
    def survey_report(self) -> Any:
        from chalicelib.services.survey_reports import SurveyReport

        return SurveyReport(self.survey_store, self.reports.days)

    def fire_due(self, tenant_id: str, timer_id: str) -> str | None:
        """The deadline handler: a survey's timer, or a hand-over's (the same state machine drives both)."""
        if timer_id.startswith("sv_"):
            return self.surveys.fire_due(tenant_id, timer_id)
        return self.handovers.fire_due(tenant_id, timer_id)

    def sweep(self) -> int:
        """Fire whatever is overdue in the due index (a failed timer start, a lost execution): nothing is lost."""
        return self.handovers.sweep(fire=self.fire_due)

    def fold_landings(self) -> int:
        """Sum up finished days' landing rows (the funnel's visitors of small sites), once each."""
        return self.repositories.funnel.fold_landings()

    @cached_property
    def consent_links(self) -> Any:
        """Withdrawing consent from an e-mail's link."""
        from chalicelib.services.consent import ConsentLinks

        return ConsentLinks(self.repositories.leads, self.repositories.tenancy, self.settings.link_keyring(),
                            self.settings.public_url, self.clock)

    @cached_property
    def people(self) -> Any:
        """A person's data: export and erasure (GDPR)."""
        from chalicelib.adapters.dynamo.people import DynamoPersonalData
        from chalicelib.services.people import People

        return People(self.repositories.leads, self.leads, self.survey_store,
                      DynamoPersonalData(self.repositories.table),
                      lambda tenant_id: self.resellers.resellers(tenant_id), self.clock)

    @cached_property
    def producer_feed(self) -> Any:
        from chalicelib.services.reseller_sales import ProducerFeed

        return ProducerFeed(self.resellers, self.reseller_store, self.repositories.leads, self.clock)

    @cached_property
    def outcomes(self) -> Any:
        """Outcomes of leads (won, lost, disqualified), in the currency of the tenant's costs unless one is sent."""
        from chalicelib.services.outcomes import Outcomes

        repositories = self.repositories
        return Outcomes(repositories.leads, repositories.handovers, self.journeys, self.clock,
                        currency_of=lambda tenant_id: repositories.costs.cost_book(tenant_id).currency)

    @cached_property
    def inbound(self) -> Any:
        """What a tenant's CRM reports (POST /inbound/{tenant}/crm): outcomes recorded as the CRM, stage changes."""
        from chalicelib.adapters.dynamo.external_ids import DynamoExternalIds
        from chalicelib.services.inbound import CrmInbound

        repositories = self.repositories
        return CrmInbound(repositories.leads, DynamoExternalIds(repositories.table), self.journeys, self.outcomes,
                          self.clock)

    @cached_property
    def reports(self) -> Reports:
        from chalicelib.services.reports import Reports

        return Reports(self.repositories.counters, self.clock, funnel=self.repositories.funnel, journeys=self.journeys,
                       costs=self.costs)

    @cached_property
    def costs(self) -> Costs:
        from chalicelib.services.costs import Costs

        return Costs(self.repositories.costs, self.clock)

    @cached_property
    def forms(self) -> Forms:
        from chalicelib.services.forms import Forms

        repositories = self.repositories
        extra = {"sleep": self.sleep_override} if self.sleep_override else {}
        return Forms(repositories.leads, repositories.capture, repositories.capture, self.tenancy, self.clock,
                     handovers=self.handovers, **extra)

    @cached_property
    def leads(self) -> LeadReader:
        from chalicelib.services.leads import LeadReader

        repositories = self.repositories
        return LeadReader(repositories.leads, repositories.capture, repositories.handovers, self.journeys)

    @cached_property
    def report_access_store(self) -> Any:
        """Report keys, managers' sign-in requests and used links, hand-over counters by day (the report page)."""
        from chalicelib.adapters.dynamo.report_keys import DynamoReportAccess

        return DynamoReportAccess(self.repositories.table)

    @cached_property
    def manager_sign_in(self) -> Any:
        from chalicelib.services.manager_sign_in import ManagerSignIn

        tenants = self.repositories.tenancy
        return ManagerSignIn(self.report_access_store, self.journeys, self.settings.link_keyring(),
                             self.settings.public_url, self.clock,
                             known=lambda tenant_id: tenants.tenant(tenant_id) is not None)

    @cached_property
    def report_page(self) -> Any:
        from chalicelib.services.report_page import ReportPage

        return ReportPage(self.reports, self.report_access_store,
                          scorecard=lambda tenant_id, params: self.reseller_report.scorecard(tenant_id, params),
                          surveys=lambda tenant_id, params: self.survey_report.report(tenant_id, params))

    @cached_property
    def change_stream(self) -> ChangeStream:
        """Everything that follows from a change, in order: counters, timers, e-mails, webhooks, owners' activity,
        the funnel, stage moves, and the resellers' scorecard, customer hashes and the producer's feed."""
        from chalicelib.adapters.dynamo.retention import DynamoRetention
        from chalicelib.adapters.dynamo.stream import change_event, expired_mark, page_view
        from chalicelib.adapters.dynamo.visitor_leads import DynamoVisitorLeads
        from chalicelib.consumers.funnel import FunnelProjection, VisitorProjection
        from chalicelib.consumers.mail import Mail
        from chalicelib.consumers.manager_sign_in import ManagerSignInMail
        from chalicelib.consumers.owner_activity import OwnerActivity
        from chalicelib.consumers.projections import CounterProjection
        from chalicelib.consumers.resellers import EndCustomerFeed, ResellerCustomers, ResellerScorecard
        from chalicelib.consumers.retention import LeadPageViews, RetentionExpiry, RetentionMarks
        from chalicelib.consumers.stage_moves import StageMovesOnEvents, StageMovesOnPageViews
        from chalicelib.consumers.stream import ChangeStream
        from chalicelib.consumers.surveys import SurveyMail, SurveyReport, SurveyScheduler
        from chalicelib.consumers.timers import TimerStarter
        from chalicelib.consumers.webhooks import Webhooks
        from chalicelib.services.stage_moves import StageMoves

        repositories = self.repositories
        retention = DynamoRetention(repositories.table)
        visitor_leads = DynamoVisitorLeads(repositories.table)
        moves = StageMoves(repositories.leads, repositories.capture, visitor_leads, self.journeys, self.clock)
        return ChangeStream(change_event, [
            CounterProjection(repositories.counters),
            TimerStarter(lambda: self.timers),
            Mail(lambda: self.notifier, self.journeys, repositories.leads, repositories.processed),
            Webhooks(lambda: self.notifier, self.journeys, repositories.leads, repositories.processed),
            OwnerActivity(repositories.tenancy),
            ManagerSignInMail(lambda: self.manager_sign_in, lambda: self.notifier.mailer, repositories.processed),
            FunnelProjection(repositories.funnel, repositories.leads,
                             lambda tenant_id: self.journeys.definition(tenant_id).stage_rules().stages),
            StageMovesOnEvents(moves),
            ResellerScorecard(self.reseller_store),
            ResellerCustomers(self.reseller_store, self.reseller_store, repositories.leads),
            EndCustomerFeed(self.reseller_store, self.reseller_store, repositories.leads, self.journeys,
                            lambda: self.notifier, repositories.processed),
            SurveyScheduler(lambda: self.surveys),
            SurveyMail(lambda: self.surveys, lambda: self.notifier.mailer, self.survey_store, repositories.leads,
                       repositories.processed, withdraw_url=lambda t, lead: self.consent_links.url(t, lead)),
            SurveyReport(self.survey_store),
            RetentionMarks(retention, self.journeys, repositories.leads),
        ], decode_view=page_view, view_consumers=[
            StageMovesOnPageViews(moves),
        ], view_batch_consumers=[
            VisitorProjection(repositories.funnel),
            LeadPageViews(retention, visitor_leads),
        ], decode_removal=expired_mark, removal_consumers=[
            RetentionExpiry(retention, self.journeys, repositories.leads, lambda: self.people, self.clock),
        ])


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
