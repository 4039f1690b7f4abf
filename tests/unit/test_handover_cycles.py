"""When a returning lead's hand-over is over, so that its next form starts a new cycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.domain.handover import HandoverState, cycle_id_for, cycle_over, handover_id_for, lead_id_of
from chalicelib.domain.leads import LeadOutcome

NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)
CYCLE = timedelta(days=90)


def _state(status: str, accepted_days_ago: int | None = None) -> HandoverState:
    accepted = (NOW - timedelta(days=accepted_days_ago)).isoformat() if accepted_days_ago is not None else None
    return HandoverState(tenant_id="t", handover_id="ho_x", lead_id="ld_x", name="sales", owner="a", status=status,
                         started_at="2026-06-01T08:00:00.000Z", accept_due_at="2026-06-01T12:00:00.000Z",
                         contact_due_at=None, steps=(), accepted_at=accepted)


def _outcome(outcome: str, at: str) -> LeadOutcome:
    return LeadOutcome(outcome=outcome, at=at, event_id="ev1")


def test_a_running_hand_over_goes_on():
    assert cycle_over(_state("offered"), None, NOW, CYCLE) is None
    assert cycle_over(_state("accepted", accepted_days_ago=89), None, NOW, CYCLE) is None
    assert cycle_over(_state("contacted", accepted_days_ago=10), _outcome("won", "2026-07-01T00:00:00.000Z"), NOW,
                      CYCLE) is None


def test_a_gap_a_loss_or_an_accept_long_ago_ends_the_cycle():
    assert cycle_over(_state("gap"), None, NOW, CYCLE) == "gap"
    assert cycle_over(_state("accepted", 5), _outcome("lost", "2026-07-01T00:00:00.000Z"), NOW, CYCLE) == "lost"
    assert cycle_over(_state("offered"), _outcome("disqualified", "2026-06-02T00:00:00.000Z"), NOW,
                      CYCLE) == "disqualified"
    assert cycle_over(_state("accepted", accepted_days_ago=90), None, NOW, CYCLE) == "accepted long ago"
    assert cycle_over(None, None, NOW, CYCLE) == "ended"


def test_a_loss_reported_before_the_hand_over_started_belongs_to_an_earlier_cycle():
    assert cycle_over(_state("accepted", 5), _outcome("lost", "2026-05-01T00:00:00.000Z"), NOW, CYCLE) is None


def test_each_cycle_has_its_own_id_in_the_lead_s_partition():
    first, later = handover_id_for("ld_" + "a" * 24, "sales"), cycle_id_for("ld_" + "a" * 24, "sales", "2026-11-25")
    assert first != later
    assert lead_id_of(later) == lead_id_of(first) == "ld_" + "a" * 24
