"""What follows from a reseller's hand-overs and sales: its scorecard's counters, the keyed hashes its sales reports
are matched by, and the producer's feed of end customers (with its ``end_customer.reported`` webhook).

Scorecard. Each hand-over event is counted for the reseller that held it exactly as the hand-over report counts
it for an owner (``domain.reports.event_counters``, read with the reseller in the owner's place): offers received,
accepted in and out of SLA, declined, reassigned away, gaps, contacted, time to accept. Every figure belongs to the
day the hand-over started. A reported outcome adds ``won`` / ``lost`` / ``disqualified`` and the won value in cents
(``revenue_cents``) to the day its hand-over started; a correction takes the earlier report back first. A deal the
reseller registered itself counts in ``registered`` on its day; unmatched sales are counted when they arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from chalicelib.consumers.events import ChangeEvent
from chalicelib.domain.reports import COUNTED_EVENTS, event_counters
from chalicelib.domain.resellers import EndCustomerReport, email_hash, producer_view
from chalicelib.observability import count, logger
from chalicelib.services.journeys import Journeys
from chalicelib.services.notify import Notifier
from chalicelib.services.ports import LeadRepository, ProcessedEvents
from chalicelib.services.reseller_ports import ResellerDirectory, ResellerLedger

OUTCOME_EVENTS = ("outcome_recorded", "outcome_corrected")
WEBHOOK_CONSUMER = "end-customer-webhook"
END_CUSTOMER_REPORTED = "end_customer.reported"


def _cents(value: Any) -> int:
    try:
        return int((Decimal(str(value)) * 100).to_integral_value()) if value not in (None, "") else 0
    except ArithmeticError:
        return 0


def outcome_counters(details: dict[str, Any]) -> dict[str, int]:
    """What one reported outcome adds to its reseller's scorecard (a correction first takes the earlier back)."""
    counts: dict[str, int] = {}

    def add(name: str, delta: int) -> None:
        if delta:
            counts[name] = counts.get(name, 0) + delta

    previous = details.get("previous") if details.get("corrects") else None
    if isinstance(previous, dict) and previous.get("outcome"):
        add(str(previous["outcome"]), -1)
        if previous["outcome"] == "won":
            add("revenue_cents", -_cents(previous.get("value")))
    outcome = str(details.get("outcome") or "")
    if outcome:
        add(outcome, 1)
        if outcome == "won":
            add("revenue_cents", _cents(details.get("value")))
    return {name: delta for name, delta in counts.items() if delta}


class ResellerScorecard:
    def __init__(self, ledger: ResellerLedger):
        self.ledger = ledger

    def __call__(self, event: ChangeEvent) -> None:
        details = event.details
        if event.type in COUNTED_EVENTS and (details.get("reseller") or details.get("to_reseller")):
            self._handover_event(event)
        elif event.type == "deal_registered" and details.get("reseller"):
            self.ledger.add_stats_once(f"{event.event_id}:registered", event.tenant_id, event.at[:10],
                                       str(details["reseller"]), {"registered": 1})
        elif event.type in OUTCOME_EVENTS and details.get("reseller"):
            day = str(details.get("handover_started_at") or event.at)[:10]
            self.ledger.add_stats_once(f"{event.event_id}:outcome", event.tenant_id, day, str(details["reseller"]),
                                       outcome_counters(details))

    def _handover_event(self, event: ChangeEvent) -> None:
        details = event.details
        started_at = event.at if event.type == "handover_started" else str(details.get("started_at") or event.at)
        # The reseller in the owner's place: the one that held it, and for a reassignment the one it went to.
        view = {**details, "owner": details.get("reseller"), "from": details.get("reseller"),
                "to": details.get("to_reseller")}
        ticks, offer = event_counters(event.type, view, event.at, started_at)
        day = started_at[:10]
        per_reseller: dict[str, dict[str, int]] = {}
        for name, delta, reseller in ticks:
            if reseller:
                row = per_reseller.setdefault(reseller, {})
                row[name] = row.get(name, 0) + delta
        for reseller, counters in per_reseller.items():
            self.ledger.add_stats_once(f"{event.event_id}:{reseller}", event.tenant_id, day, reseller, counters)
        if offer:
            reseller, offered = offer
            counters = {name: delta for name, delta, who in offered if who}
            # Counted once per hand-over, reseller and moment, however many events of one change announce it.
            self.ledger.add_stats_once(f"offer:{details.get('handover_id')}:{reseller}:{event.at}", event.tenant_id,
                                       day, reseller, counters)


class ResellerCustomers:
    """Each lead offered to a reseller is findable by that reseller's keyed hash of the customer's e-mail."""

    def __init__(self, directory: ResellerDirectory, ledger: ResellerLedger, leads: LeadRepository):
        self.directory = directory
        self.ledger = ledger
        self.leads = leads

    def __call__(self, event: ChangeEvent) -> None:
        details = event.details
        if event.type in ("handover_started", "deal_registered"):
            reseller_id = details.get("reseller")
        elif event.type == "reassigned":
            reseller_id = details.get("to_reseller")
        else:
            return
        if not reseller_id:
            return
        reseller = self.directory.reseller(event.tenant_id, str(reseller_id))
        lead = self.leads.lead(event.tenant_id, event.lead_id)
        if reseller is None or lead is None:
            return
        self.ledger.link_customer(event.tenant_id, reseller.reseller_id, email_hash(reseller.match_secret, lead.email),
                                  lead.lead_id)


class EndCustomerFeed:
    """A reseller's reported outcome goes into the producer's feed and, when the journey has a webhook, out as
    ``end_customer.reported`` with what the consent rule lets the producer see."""

    def __init__(self, directory: ResellerDirectory, ledger: ResellerLedger, leads: LeadRepository,
                 journeys: Journeys, notifier: Callable[[], Notifier], processed: ProcessedEvents):
        self.directory = directory
        self.ledger = ledger
        self.leads = leads
        self.journeys = journeys
        self.notifier = notifier
        self.processed = processed

    def __call__(self, event: ChangeEvent) -> None:
        details = event.details
        if event.type not in OUTCOME_EVENTS or not details.get("reseller"):
            return
        report = EndCustomerReport(
            lead_id=event.lead_id, reseller_id=str(details["reseller"]), reported_at=event.at,
            event_id=event.event_id, outcome=str(details.get("outcome")),
            value=str(details["value"]) if details.get("value") is not None else None,
            currency=str(details["currency"]) if details.get("currency") else None,
            outcome_at=str(details.get("outcome_at") or event.at))
        self.ledger.record_end_customer(event.tenant_id, report)
        count("EndCustomersReported")
        webhook = self.journeys.definition(event.tenant_id).webhook
        if webhook is None or not self.processed.claim(WEBHOOK_CONSUMER, event.event_id):
            return
        lead = self.leads.lead(event.tenant_id, event.lead_id)
        reseller = self.directory.reseller(event.tenant_id, report.reseller_id)
        data = {"tenant_id": event.tenant_id,
                **producer_view(lead, report, reseller_name=reseller.name if reseller else None)}
        payload = {"type": END_CUSTOMER_REPORTED, "timestamp": event.at, "data": data}
        try:
            # Its own message id: the same event's lead.outcome message went out under the event's id.
            self.notifier().post_webhook(event.tenant_id, webhook, payload, message_id=f"{event.event_id}.end_customer")
        except Exception:
            self.processed.release(WEBHOOK_CONSUMER, event.event_id)
            logger.exception("end-customer webhook failed", extra={"lead_id": event.lead_id})
            raise
