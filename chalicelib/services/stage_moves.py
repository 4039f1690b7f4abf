"""Stage moves that follow from the change stream: a reported contact, and page views of a known lead.

The request that wrote the contact (or the page view) has answered already; this service applies the
journey's rules afterwards (see ``chalicelib.domain.stages``) and writes the move with its ``stage_change``
event in one write, conditional on the lead's version. A lost race reloads the lead and decides again; a
redelivered change finds the move made (moves only go forward) and writes nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain.clock import Clock, iso, parse_iso
from chalicelib.domain.leads import Lead, TimelineEvent
from chalicelib.domain.stages import PAGE_VIEW, StageMove, Viewed, viewed
from chalicelib.errors import ConcurrentUpdate
from chalicelib.observability import count, logger
from chalicelib.services.ports import LeadRepository, PageViewLog, VisitorLeads

if TYPE_CHECKING:
    from chalicelib.domain.capture import PageView
    from chalicelib.services.journeys import Journeys

MAX_ATTEMPTS = 5


class StageMoves:
    def __init__(self, leads: LeadRepository, pageviews: PageViewLog, visitor_leads: VisitorLeads,
                 journeys: Journeys, clock: Clock, new_id: Callable[[], str] | None = None):
        self.leads = leads
        self.pageviews = pageviews
        self.visitor_leads = visitor_leads
        self.journeys = journeys
        self.clock = clock
        self.new_id = new_id or (lambda: secrets.token_hex(8))

    def after_event(self, tenant_id: str, lead_id: str, event: str, handover_id: str | None = None
                    ) -> StageMove | None:
        """Move the lead if the journey's rules for ``event`` (``contacted``) say so; the move made, or None."""
        rules = self.journeys.definition(tenant_id).stage_rules()
        if rules.after(event) is None:
            return None
        # Like the move an accept makes, it names the hand-over whose owner reported.
        details = {"cause": event, **({"handover_id": handover_id} if handover_id else {})}
        return self._move(tenant_id, lead_id, lambda lead: rules.advance(lead.stage, event), details)

    def after_page_view(self, view: PageView) -> list[StageMove]:
        """Move the leads the viewing browser became when their page views now meet a rule; the moves made.

        A journey without page-view rules, or a page no rule counts, costs no read at all; a visitor who is
        not a lead costs one.
        """
        rules = self.journeys.definition(view.tenant_id).stage_rules()
        seen = viewed(view.url, view.at)
        if not rules.counts_page(seen.path):
            return []
        moves = []
        for lead_id in self.visitor_leads.visitor_leads(view.tenant_id, view.visitor_id):
            move = self._move(view.tenant_id, lead_id,
                              lambda lead: rules.advance(lead.stage, PAGE_VIEW, views=self._views(lead), at=seen.at),
                              {"cause": PAGE_VIEW})
            if move is not None:
                moves.append(move)
        return moves

    def _views(self, lead: Lead) -> list[Viewed]:
        """The page views of every browser the lead used."""
        return [viewed(view.url, view.at) for visitor_id in lead.visitors
                for view in self.pageviews.visitor_pageviews(lead.tenant_id, visitor_id)]

    def _move(self, tenant_id: str, lead_id: str, decide: Callable[[Lead], StageMove | None],
              details: dict[str, Any]) -> StageMove | None:
        for _ in range(MAX_ATTEMPTS):
            lead = self.leads.lead(tenant_id, lead_id)
            if lead is None:
                return None
            move = decide(lead)
            if move is None:
                return None
            at = iso(_not_before(self.clock(), lead.stage_entered_at))
            event = TimelineEvent(event_id=self.new_id(), type="stage_change", at=at, details={
                "from": lead.stage, "to": move.to, **move.recorded(), "entered_from_at": lead.stage_entered_at,
                **details,
            })
            try:
                self.leads.save_lead_change(replace(lead, stage=move.to, stage_entered_at=at, updated_at=at),
                                            lead.version, [event])
            except ConcurrentUpdate:
                continue
            count("StageMoves", cause=str(details["cause"]))
            return move
        logger.warning("the lead kept changing; the stage rules are tried again on redelivery",
                       extra={"lead_id": lead_id})
        raise ConcurrentUpdate(lead_id)


def _not_before(now: datetime, entered_at: str) -> datetime:
    """A move never predates the stage it leaves (a clock a little behind another machine's)."""
    return max(now, parse_iso(entered_at))
