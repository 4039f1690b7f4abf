"""Stage rules that follow from the stream: a reported contact, and page views once the visitor is a lead.

No claim per event: moves only go forward, so a redelivered event finds the move made and writes nothing,
and events no rule is about (most of them) cost no read.
"""

from __future__ import annotations

from chalicelib.consumers.events import ChangeEvent
from chalicelib.domain.capture import PageView
from chalicelib.services.stage_moves import StageMoves

# Timeline events that stage rules may name and no request applies itself (a form, an accept and a won outcome
# move the lead in the request that writes them).
STREAM_EVENTS = frozenset({"contacted"})


class StageMovesOnEvents:
    def __init__(self, moves: StageMoves):
        self.moves = moves

    def __call__(self, event: ChangeEvent) -> None:
        if event.type in STREAM_EVENTS:
            handover_id = event.details.get("handover_id")
            self.moves.after_event(event.tenant_id, event.lead_id, event.type,
                                   str(handover_id) if handover_id else None)


class StageMovesOnPageViews:
    def __init__(self, moves: StageMoves):
        self.moves = moves

    def __call__(self, view: PageView) -> None:
        self.moves.after_page_view(view)
