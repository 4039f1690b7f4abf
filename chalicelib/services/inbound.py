"""A tenant's CRM reports outcomes and stage changes: ``POST /inbound/{tenant}/crm``, signed with the
tenant's secret the Standard Webhooks way.

The CRM names the lead by our lead id, else by e-mail, else by its own record id (``external_id``), which we
link to the lead the first time a call names it together with a lead id or an e-mail. The ``webhook-id`` of
a call is its idempotency key: a redelivery changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from chalicelib.domain.actors import Actor
from chalicelib.domain.clock import Clock, iso
from chalicelib.domain.crm_inbound import CRM, report_stage
from chalicelib.domain.leads import Lead, lead_id_for
from chalicelib.domain.webhooks import SignatureRefused, verify
from chalicelib.errors import (
    ConcurrentUpdate,
    Conflict,
    DuplicateRequest,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from chalicelib.observability import count, traced
from chalicelib.services.journeys import Journeys
from chalicelib.services.outcomes import OutcomeReport, Outcomes
from chalicelib.services.ports import ExternalIds, LeadRepository, Receipt

MAX_ATTEMPTS = 5
RECEIPT_TTL = timedelta(hours=24)
MAX_MESSAGE_ID = 200
CRM_ACTOR = Actor(kind=CRM, owner=CRM)


@dataclass(frozen=True)
class Signed:
    """The Standard Webhooks headers of a call, as sent (None when missing)."""

    message_id: str | None
    timestamp: str | None
    signature: str | None


@dataclass(frozen=True)
class LeadNamed:
    """How a call names its lead (checked for shape at the edge)."""

    lead_id: str | None = None
    email: str | None = None
    external_id: str | None = None


class CrmInbound:
    def __init__(self, leads: LeadRepository, external_ids: ExternalIds, journeys: Journeys, outcomes: Outcomes,
                 clock: Clock, new_id: Callable[[], str] | None = None):
        self.leads = leads
        self.external_ids = external_ids
        self.journeys = journeys
        self.outcomes = outcomes
        self.clock = clock
        self.new_id = new_id or (lambda: secrets.token_hex(8))

    def verify(self, tenant_id: str, signed: Signed, body: str) -> str:
        """The call's webhook-id once its signature proves the tenant's CRM secret; 404 without one, 401 else."""
        crm = self.journeys.definition(tenant_id).crm
        if crm is None:
            raise NotFound("no CRM inbound configured for this tenant: the journey needs crm.secret "
                           "(a whsec_ Standard Webhooks secret)", field="tenant")
        try:
            verify(crm.secret, signed.message_id, signed.timestamp, signed.signature, body,
                   now=int(self.clock().timestamp()))
        except SignatureRefused as refused:
            count("CrmInboundRefused", header=refused.header)
            raise Unauthorized(str(refused), field=refused.header) from None
        assert signed.message_id is not None
        if len(signed.message_id) > MAX_MESSAGE_ID or not signed.message_id.isprintable():
            raise InvalidInput(f"webhook-id must be 1-{MAX_MESSAGE_ID} printable characters", field="webhook-id")
        return signed.message_id

    @traced
    def outcome(self, tenant_id: str, message_id: str, named: LeadNamed, report: OutcomeReport) -> dict[str, Any]:
        """Record (or correct) the named lead's outcome as the CRM; a redelivered call changes nothing."""
        lead, matched_by = self._lead(tenant_id, named)
        try:
            answer = self.outcomes.record(tenant_id, lead.lead_id, CRM_ACTOR, report, f"crm:{message_id}")
        except IdempotencyKeyReused:
            raise IdempotencyKeyReused("this webhook-id was used for a different call", field="webhook-id") from None
        self._link(tenant_id, named, lead)
        return {**answer, "matched_by": matched_by}

    @traced
    def stage(self, tenant_id: str, message_id: str, named: LeadNamed, stage: str) -> dict[str, Any]:
        """Move the named lead forward to ``stage``; behind or at its stage, nothing changes and the answer says why."""
        stages = self.journeys.definition(tenant_id).stage_rules().stages
        if stage not in stages:
            raise InvalidInput(f"stage must be one of the journey's stages: {', '.join(stages)}", field="stage")
        lead, matched_by = self._lead(tenant_id, named)
        receipt_key = hashlib.sha256(f"crm-stage\n{lead.lead_id}\n{message_id}".encode()).hexdigest()
        payload_hash = hashlib.sha256(json.dumps({"stage": stage}).encode()).hexdigest()
        for _ in range(MAX_ATTEMPTS):
            now = self.clock()
            reported = report_stage(lead, stage, stages, now, self.new_id())
            answer: dict[str, Any] = {"lead_id": lead.lead_id, "stage": reported.lead.stage, "matched_by": matched_by}
            if not reported.changed:
                self._link(tenant_id, named, lead)
                return {**answer, "changed": False, "reason": reported.reason}
            receipt = Receipt(tenant_id=tenant_id, key_hash=receipt_key, payload_hash=payload_hash,
                              response=answer, issued_at=int(now.timestamp()),
                              expires_at=int((now + RECEIPT_TTL).timestamp()))
            try:
                self.leads.save_lead_change(reported.lead, lead.version, reported.events, receipt)
            except DuplicateRequest as duplicate:
                recorded = dict(duplicate.response)
                if recorded.pop("payload_hash", None) != payload_hash:
                    raise IdempotencyKeyReused("this webhook-id was used for a different call",
                                               field="webhook-id") from None
                return {**recorded, "changed": False, "reason": "this call was received before"}
            except ConcurrentUpdate:
                lead = self._reloaded(tenant_id, lead.lead_id)
                continue
            self._link(tenant_id, named, lead)
            count("CrmStageChanges")
            return {**answer, "changed": True}
        raise Conflict("the lead kept changing; send the call again", field="lead_id")

    def _lead(self, tenant_id: str, named: LeadNamed) -> tuple[Lead, str]:
        """The lead the call names, and how it was found; 404 naming the field when there is none.

        Everything is looked up inside the tenant whose secret signed the call: no name reaches another's lead.
        """
        if named.lead_id is not None:
            lead, field = self.leads.lead(tenant_id, named.lead_id), "lead_id"
        elif named.email is not None:
            lead, field = self.leads.lead(tenant_id, lead_id_for(tenant_id, named.email)), "email"
        else:
            assert named.external_id is not None
            linked = self.external_ids.lead_of(tenant_id, named.external_id)
            lead, field = (self.leads.lead(tenant_id, linked) if linked else None), "external_id"
        if lead is None:
            raise NotFound(f"no lead with this {field}" + (
                " (an external_id is known once a call named it with a lead_id or an email)"
                if field == "external_id" else ""), field=field)
        if field != "external_id" and named.external_id is not None:
            linked = self.external_ids.lead_of(tenant_id, named.external_id)
            if linked is not None and linked != lead.lead_id:
                raise Conflict("this external_id belongs to another lead", field="external_id")
        return lead, field

    def _link(self, tenant_id: str, named: LeadNamed, lead: Lead) -> None:
        if named.external_id is not None and (named.lead_id is not None or named.email is not None):
            self.external_ids.link(tenant_id, named.external_id, lead.lead_id, iso(self.clock()))

    def _reloaded(self, tenant_id: str, lead_id: str) -> Lead:
        lead = self.leads.lead(tenant_id, lead_id)
        if lead is None:
            raise NotFound("no lead with this lead_id", field="lead_id")
        return lead
