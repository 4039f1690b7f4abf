"""The tenant's webhook hears every timeline event of the catalogue, signed the Standard Webhooks way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.consumers.events import ChangeEvent
from chalicelib.domain.effects import notifications_from
from chalicelib.domain.handover import Notification
from chalicelib.services.journeys import Journeys
from chalicelib.services.notify import Notifier
from chalicelib.services.ports import LeadRepository, ProcessedEvents

CONSUMER = "webhook"
# Timeline details that stay in Leadtrail: the visitor's (truncated) address is not the tenant's system's business,
# and a hand-over event's ``started_at`` is for the report's projection (``handover.started``'s timestamp).
PRIVATE_DETAILS = {"ip", "started_at", "handover_started_at"}
EVENT_TYPES = {
    "stage_change": "lead.stage_changed",
    "handover_started": "handover.started",
    "handover_failed": "handover.failed",
    "notified": "handover.offered",
    "accepted": "handover.accepted",
    "declined": "handover.declined",
    "reminded": "handover.reminded",
    "escalated": "handover.escalated",
    "reassigned": "handover.reassigned",
    "sla_breached": "handover.sla_breached",
    "contacted": "handover.contacted",
    "gap": "handover.gap",
    "outcome_recorded": "lead.outcome",
    "outcome_corrected": "lead.outcome",
    "survey_answered": "survey.answered",
    "contact_disputed": "handover.contact_disputed",
}
# A ``lead.outcome`` message has the same fields whether or not the report gave a value or a reason, and whether
# it corrects an earlier one.
OUTCOME_FIELDS = ("outcome", "value", "currency", "reason", "by", "owner", "outcome_at", "corrects", "previous")
# Survey messages, likewise, have the same fields whatever the lead lacks (a campaign) or the answer replaces.
SURVEY_FIELDS = {
    "survey.answered": ("survey_id", "survey", "channel", "campaign", "sent_at", "question", "question_type", "answer",
                        "previous", "first_answer", "checks_contact"),
    "handover.contact_disputed": ("survey_id", "survey", "channel", "campaign", "sent_at", "handover_status"),
}


def webhook_type(event: ChangeEvent) -> str | None:
    if event.type == "form_submit":
        return "lead.created" if event.effects.get("lead_created") else "lead.form_submitted"
    return EVENT_TYPES.get(event.type)


class Webhooks:
    def __init__(self, notifier: Callable[[], Notifier], journeys: Journeys, leads: LeadRepository,
                 processed: ProcessedEvents):
        self.notifier = notifier
        self.journeys = journeys
        self.leads = leads
        self.processed = processed

    def __call__(self, event: ChangeEvent) -> None:
        kind = webhook_type(event)
        webhook = self.journeys.definition(event.tenant_id).webhook
        if kind is None or webhook is None:
            return
        notifier = self.notifier()
        data: dict[str, Any] = {
            "tenant_id": event.tenant_id, "lead_id": event.lead_id, "handover_id": None, "handover": None,
            "owner": None, "reseller": None,
            **{key: value for key, value in event.details.items() if key not in PRIVATE_DETAILS},
        }
        if kind == "handover.reassigned":
            data["owner"] = event.details.get("to")
            data["reseller"] = event.details.get("to_reseller")
        if kind == "lead.outcome":
            data.update({name: event.details.get(name) for name in OUTCOME_FIELDS})
        if kind in SURVEY_FIELDS:
            data.update({name: event.details.get(name) for name in SURVEY_FIELDS[kind]})
        if kind == "lead.created":
            lead = self.leads.lead(event.tenant_id, event.lead_id)
            if lead is not None:
                data.update(stage=lead.stage, email=lead.email, name=lead.name, company=lead.company,
                            lead_type=lead.lead_type, channel=lead.last_touch.channel,
                            campaign=lead.last_touch.campaign)
        offers = [notification for notification in notifications_from(event.effects)
                  if notification.kind in ("offer", "reminder")]
        if kind == "handover.reassigned":
            # The offer to the new owner rides on the ``notified`` event that follows; this message names it too.
            offers.append(Notification(
                kind="offer", to=str(event.details.get("to")), name=str(event.details.get("handover")),
                handover_id=str(event.details.get("handover_id")), lead_id=event.lead_id,
                owner=str(event.details.get("to")), due_at=str(event.details.get("due_at") or "")))
        for offer in offers:
            accept_url, decline_url = notifier.links(event.tenant_id, offer)
            data.update(offered_to=offer.to, due_at=offer.due_at or None, accept_url=accept_url,
                        decline_url=decline_url)
        payload = {"type": kind, "timestamp": event.at, "data": data}
        # Claimed first, so a redelivered event is not posted again; the post itself never raises (what
        # fails every retry becomes a dead letter to replay). The webhook-id is the event id either way.
        if not self.processed.claim(CONSUMER, event.event_id):
            return
        try:
            notifier.post_webhook(event.tenant_id, webhook, payload, message_id=event.event_id)
        except Exception:
            self.processed.release(CONSUMER, event.event_id)
            raise
