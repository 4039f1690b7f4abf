"""The journey's stages and how a lead moves between them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_STAGES: tuple[str, ...] = ("awareness", "consideration", "decision", "customer")
INITIAL_STAGE = DEFAULT_STAGES[0]
# What moves a lead, and where to by default: the stage at this position of the tenant's list. For the default
# stages that is today's behaviour: a form submit leads to consideration, an accepted hand-over to decision.
STAGE_TRIGGERS: dict[str, int] = {"form_submit": 1, "accepted": 2}
STAGE_AFTER_FORM = DEFAULT_STAGES[STAGE_TRIGGERS["form_submit"]]


def moves_forward(current: str, target: str, stages: tuple[str, ...] = DEFAULT_STAGES) -> bool:
    """A trigger only ever moves a lead forward; a customer never falls back to consideration."""
    if target not in stages:
        return False
    if current not in stages:
        return True
    return stages.index(target) > stages.index(current)


def default_stage_on(stages: tuple[str, ...]) -> dict[str, str]:
    """Where each trigger leads when the journey does not say: the stage at the trigger's position, if any."""
    return {trigger: stages[position] for trigger, position in STAGE_TRIGGERS.items() if position < len(stages)}


@dataclass(frozen=True)
class StageMove:
    """Where a lead moves and the rule that moved it (recorded on the ``stage_change`` event as ``rule``)."""

    to: str
    rule: str


@dataclass(frozen=True)
class StageRules:
    """A tenant's stages in order and the stage each trigger (``form_submit``, ``accepted``) leads to."""

    stages: tuple[str, ...] = DEFAULT_STAGES
    stage_on: Mapping[str, str] = field(default_factory=lambda: default_stage_on(DEFAULT_STAGES))

    @classmethod
    def of(cls, stages: tuple[str, ...], stage_on: Mapping[str, str] | None = None) -> StageRules:
        return cls(stages=stages, stage_on={**default_stage_on(stages), **(stage_on or {})})

    @property
    def initial(self) -> str:
        return self.stages[0]

    def after(self, trigger: str) -> str | None:
        """The stage a trigger leads to, or None when it moves no lead."""
        return self.stage_on.get(trigger)

    def move(self, current: str, trigger: str) -> str | None:
        """The stage a lead in ``current`` moves to on ``trigger``: only forward, otherwise None."""
        target = self.after(trigger)
        return target if target is not None and moves_forward(current, target, self.stages) else None

    def advance(self, current: str, trigger: str) -> StageMove | None:
        """The move a lead in ``current`` makes on ``trigger``, with the rule that fired; None if it stays."""
        target = self.move(current, trigger)
        return StageMove(to=target, rule=f"event:{trigger}") if target is not None else None


DEFAULT_STAGE_RULES = StageRules()
