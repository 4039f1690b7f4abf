"""Hand-overs as items, and what a hand-over change leaves for the stream's consumers (its effects)."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.lead_codec import put_events
from chalicelib.adapters.dynamo.table import keyed
from chalicelib.adapters.dynamo.transaction import Transaction
from chalicelib.domain.effects import effects_of
from chalicelib.domain.handover import Change, HandoverState, LadderStep


def handover_tag(handover_id: str) -> str:
    return f"handover:{handover_id}"


def handover_item(state: HandoverState, version: int) -> dict[str, Any]:
    item = keyed(
        keys.handover(state.tenant_id, state.lead_id, state.handover_id),
        kind="handover", tenant_id=state.tenant_id, handover_id=state.handover_id, lead_id=state.lead_id,
        name=state.name, owner=state.owner, status=state.status, started_at=state.started_at,
        accept_due_at=state.accept_due_at, contact_due_at=state.contact_due_at,
        steps=[{k: v for k, v in vars(step).items() if v is not None} for step in state.steps] or None,
        next_step=state.next_step, candidates=list(state.candidates) or None,
        declined_by=list(state.declined_by) or None, accepted_at=state.accepted_at,
        accepted_late=state.accepted_late, accepted_by=state.accepted_by, contacted_at=state.contacted_at,
        rescue_of=state.rescue_of, reseller=state.reseller,
        candidate_resellers=list(state.candidate_resellers) or None, version=version,
    )
    if state.reseller:
        # Sparse: the reseller's list of what it holds (GET /reseller/leads); it leaves with the hand-over.
        item["gsi2pk"], item["gsi2sk"] = keys.reseller_handovers(state.tenant_id, state.reseller, state.started_at,
                                                                 state.handover_id)
    if state.next_due_at:
        # Sparse: only hand-overs with a step ahead are in the sweep's index.
        item["gsi1pk"], item["gsi1sk"] = keys.due_index(state.tenant_id, state.handover_id, state.next_due_at)
    return item


def handover_from(item: dict[str, Any]) -> HandoverState:
    return HandoverState(
        tenant_id=item["tenant_id"], handover_id=item["handover_id"], lead_id=item["lead_id"], name=item["name"],
        owner=item["owner"], status=item["status"], started_at=item["started_at"],
        accept_due_at=item["accept_due_at"], contact_due_at=item.get("contact_due_at"),
        steps=tuple(LadderStep(**step) for step in item.get("steps", [])), next_step=item.get("next_step", 0),
        candidates=tuple(item.get("candidates", [])), declined_by=tuple(item.get("declined_by", [])),
        accepted_at=item.get("accepted_at"), accepted_late=item.get("accepted_late"),
        accepted_by=item.get("accepted_by"), contacted_at=item.get("contacted_at"), rescue_of=item.get("rescue_of"),
        reseller=item.get("reseller"), candidate_resellers=tuple(item.get("candidate_resellers", [])),
        version=item.get("version", 0),
    )


def put_handover_change(tx: Transaction, change: Change, expected_version: int | None) -> None:
    """The hand-over (conditional on its version, or new) and its events; the first event carries the effects."""
    state = change.state
    item = handover_item(state, (expected_version or 0) + 1)
    if expected_version is None:
        tx.put(handover_tag(state.handover_id), item, condition="attribute_not_exists(pk)")
    else:
        tx.put(handover_tag(state.handover_id), item, condition="version = :version",
               values={":version": expected_version})
    effects = effects_of(change)
    if effects and not change.events:
        raise ValueError("a change with effects must carry an event for them")
    # The last event carries the effects: after a decline, the offer to the next owner is the reassignment's.
    put_events(tx, state.tenant_id, state.lead_id, change.events, effects, carrier=-1)
