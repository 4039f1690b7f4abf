"""The body of ``POST /inbound/{tenant}/crm``, checked at the edge (loaded on first use, not at cold start).

``{"type": "outcome" | "stage", "lead_id"?, "email"?, "external_id"?, ...}``: an outcome carries the fields
``POST /leads/{id}/outcome`` takes, a stage change ``{"stage": "<a stage of the journey>"}``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from chalicelib.errors import InvalidInput
from chalicelib.outcome_body import OutcomeBody

OUTCOME_FIELDS = ("outcome", "value", "currency", "reason", "at")
Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]


class InboundBody(OutcomeBody):
    type: Literal["outcome", "stage"]
    lead_id: Identifier | None = None
    email: Identifier | None = None
    # The CRM's own record id: named once with a lead id or e-mail, it finds the lead on later calls alone.
    external_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    stage: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    outcome: Literal["won", "lost", "disqualified"] | None = None  # type: ignore[assignment]

    def checked(self) -> InboundBody:
        """The body when it fits its type; otherwise ``InvalidInput`` naming the field to add or leave out."""
        if self.lead_id is None and self.email is None and self.external_id is None:
            raise InvalidInput("name the lead: lead_id, email or external_id", field="lead_id")
        if self.type == "outcome":
            if self.outcome is None:
                raise InvalidInput("an outcome report names its outcome: won, lost or disqualified", field="outcome")
            if self.stage is not None:
                raise InvalidInput("stage goes with type stage, not outcome", field="stage")
            return self
        if self.stage is None:
            raise InvalidInput("a stage report names its stage", field="stage")
        for name in OUTCOME_FIELDS:
            if getattr(self, name) is not None:
                raise InvalidInput(f"{name} goes with type outcome, not stage", field=name)
        return self
