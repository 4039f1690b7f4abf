"""The journey's stages and how a lead moves between them."""

from __future__ import annotations

DEFAULT_STAGES: tuple[str, ...] = ("awareness", "consideration", "decision", "customer")
INITIAL_STAGE = DEFAULT_STAGES[0]
STAGE_AFTER_FORM = "consideration"


def moves_forward(current: str, target: str, stages: tuple[str, ...] = DEFAULT_STAGES) -> bool:
    """A trigger only ever moves a lead forward; a customer never falls back to consideration."""
    if target not in stages:
        return False
    if current not in stages:
        return True
    return stages.index(target) > stages.index(current)
