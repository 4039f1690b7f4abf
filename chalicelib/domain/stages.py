"""The journey's stages and the rules that move a lead between them.

A tenant's journey lists its stages in order and, per stage, the rules (criteria) that move a lead out of it:

- an **event**: ``form_submit`` (a form of the lead arrives), ``handover_accepted`` (an owner accepts one of its
  hand-overs), ``contacted`` (the owner reports contact) or ``outcome_won``;
- **page views**: at least ``at_least`` views by the lead's browsers of pages whose path matches ``url_matches``
  (shell-style: ``/pricing*``), within ``within`` up to the moment of evaluation (a page view, or a form);
- a **field**: the lead holds the field (its form fields, and ``name``, ``phone``, ``company``), with one of
  the ``equals`` values when given (compared without regard to case and surrounding spaces).

How a move is decided:

1. A rule of stage S moves a lead that is in S, or in a stage before S, to the stage after S, or to the rule's
   ``to`` (a later stage). A lead in a stage after S is no longer S's business: the rule does nothing.
2. When the rules of several stages match one trigger, the furthest move wins; rules earlier in the journey
   win a tie, so the timeline names the first rule that reaches the stage.
3. Moves only go forward; a lead never falls back (a customer does not return to consideration).
4. A won outcome always reaches the last stage, whatever the criteria say; a matching ``outcome_won`` rule only
   names the move.
5. Without criteria the built-in rules keep what the journey always did: a form moves a lead to the second
   stage, an accepted hand-over to the third (``stage_on`` may name other stages), a won outcome to the last.

Every move is recorded as a ``stage_change`` event naming the rule that fired (``rule``: the rule's ``name``,
otherwise what it checks, such as ``event:handover_accepted``, ``page_views:/pricing*>=3/P7D`` or
``field:budget``). Evaluating the same trigger again finds
nothing to do once the move happened, so a redelivered change never moves a lead twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

from chalicelib.domain.clock import parse_iso

DEFAULT_STAGES: tuple[str, ...] = ("awareness", "consideration", "decision", "customer")
INITIAL_STAGE = DEFAULT_STAGES[0]
# What moves a lead, and where to by default: the stage at this position of the tenant's list. For the default
# stages that is today's behaviour: a form submit leads to consideration, an accepted hand-over to decision.
STAGE_TRIGGERS: dict[str, int] = {"form_submit": 1, "accepted": 2}
STAGE_AFTER_FORM = DEFAULT_STAGES[STAGE_TRIGGERS["form_submit"]]
# The hand-over service names its trigger "accepted"; criteria name the event "handover_accepted".
EVENT_OF_TRIGGER: dict[str, str] = {"accepted": "handover_accepted"}
WON = "outcome_won"
PAGE_VIEW = "page_view"
# The lead's own details that field rules may check besides its form fields.
STANDARD_FIELDS = ("name", "phone", "company")


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
class Viewed:
    """One page view as the rules see it: the page's path and when it was seen."""

    path: str
    at: datetime


def viewed(url: str, at: str) -> Viewed:
    """A page view (its URL and stored time) as the rules see it: the path only, so a query string or the
    host never decides whether ``/pricing*`` matches."""
    try:
        path = urlsplit(url).path or "/"
    except ValueError:  # an address the browser sent that no parser reads: it matches no page pattern
        path = ""
    return Viewed(path=path, at=parse_iso(at))


@dataclass(frozen=True)
class PageViewsRule:
    url_matches: str
    at_least: int = 1
    within: timedelta | None = None
    within_text: str | None = None

    def matches(self, views: Iterable[Viewed], at: datetime) -> bool:
        """At least ``at_least`` matching views up to ``at``, and after ``at - within`` when a window is given."""
        since = at - self.within if self.within is not None else None
        seen = sum(1 for view in views
                   if fnmatchcase(view.path, self.url_matches) and view.at <= at and (since is None or view.at > since))
        return seen >= self.at_least


@dataclass(frozen=True)
class Rule:
    """One criterion of a stage: exactly one of ``event``, ``page_views`` or ``field`` (with ``equals``)."""

    stage: str
    to: str
    event: str | None = None
    page_views: PageViewsRule | None = None
    field: str | None = None
    equals: tuple[str, ...] | None = None
    name: str | None = None

    @property
    def label(self) -> str:
        """How the timeline and the reports name the rule."""
        if self.name:
            return self.name
        if self.event is not None:
            return f"event:{self.event}"
        if self.page_views is not None:
            views = self.page_views
            window = f"/{views.within_text}" if views.within_text else ""
            return f"page_views:{views.url_matches}>={views.at_least}{window}"
        return f"field:{self.field}"

    def fires(self, event: str, fields: Mapping[str, Any] | None, views: Sequence[Viewed] | None,
              at: datetime | None) -> bool:
        if self.event is not None:
            return self.event == event
        if self.page_views is not None:
            return views is not None and at is not None and self.page_views.matches(views, at)
        if fields is None or self.field is None:
            return False
        value = fields.get(self.field)
        if value is None or str(value).strip() == "":
            return False
        if self.equals is None:
            return True
        return str(value).strip().casefold() in {wanted.strip().casefold() for wanted in self.equals}


@dataclass(frozen=True)
class StageMove:
    """Where a lead moves, the rule that moved it (``rule`` on the ``stage_change`` event) and its stage."""

    to: str
    rule: str
    rule_stage: str | None = None

    def recorded(self) -> dict[str, str]:
        """What the ``stage_change`` event records of the rule. Only its label: the webhook's documented
        ``lead.stage_changed`` fields stay the same for every move (the journey tells whose stage a rule is)."""
        return {"rule": self.rule}


def default_rules(stages: tuple[str, ...], stage_on: Mapping[str, str]) -> tuple[Rule, ...]:
    """The built-in rules: each trigger of ``stage_on`` moves a lead in any stage before its target there."""
    rules = []
    for trigger, target in stage_on.items():
        if target in stages and stages.index(target) > 0:
            rules.append(Rule(stage=stages[stages.index(target) - 1], to=target,
                              event=EVENT_OF_TRIGGER.get(trigger, trigger)))
    return tuple(rules)


@dataclass(frozen=True)
class StageRules:
    """A tenant's stages in order and the rules that move a lead between them (``criteria``; None: built in)."""

    stages: tuple[str, ...] = DEFAULT_STAGES
    stage_on: Mapping[str, str] = field(default_factory=lambda: default_stage_on(DEFAULT_STAGES))
    criteria: tuple[Rule, ...] | None = None

    @classmethod
    def of(cls, stages: tuple[str, ...], stage_on: Mapping[str, str] | None = None,
           criteria: Sequence[Rule] | None = None) -> StageRules:
        return cls(stages=stages, stage_on={**default_stage_on(stages), **(stage_on or {})},
                   criteria=tuple(criteria) if criteria is not None else None)

    @property
    def initial(self) -> str:
        return self.stages[0]

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self.criteria if self.criteria is not None else default_rules(self.stages, self.stage_on)

    def counts_page(self, path: str) -> bool:
        """Whether a page-view rule counts views of ``path``: a view of any other page moves no lead (had the
        views before it met a rule, the last of them would have moved the lead), so it needs no look at one."""
        return any(rule.page_views is not None and fnmatchcase(path, rule.page_views.url_matches)
                   for rule in self.rules)

    def after(self, trigger: str) -> str | None:
        """The furthest stage an event can lead to, or None when it moves no lead."""
        if trigger == WON:
            return self.stages[-1]
        event = EVENT_OF_TRIGGER.get(trigger, trigger)
        targets = [rule.to for rule in self.rules if rule.event == event and rule.to in self.stages]
        return max(targets, key=self.stages.index) if targets else None

    def move(self, current: str, trigger: str) -> str | None:
        """The stage a lead in ``current`` moves to on ``trigger``: only forward, otherwise None."""
        move = self.advance(current, trigger)
        return move.to if move is not None else None

    def advance(self, current: str, trigger: str, fields: Mapping[str, Any] | None = None,
                views: Sequence[Viewed] | None = None, at: datetime | None = None) -> StageMove | None:
        """The move a lead in ``current`` makes, with the rule that fired; None if it stays.

        ``trigger`` is the event (``form_submit``, ``accepted`` or ``handover_accepted``, ``contacted``,
        ``outcome_won``, or ``page_view`` for no event at all); field rules are checked when ``fields`` is given,
        page-view rules when ``views`` and the moment ``at`` are.
        """
        event = EVENT_OF_TRIGGER.get(trigger, trigger)
        position = self.stages.index(current) if current in self.stages else -1
        best: Rule | None = None
        for rule in self.rules:
            if rule.stage not in self.stages or rule.to not in self.stages:
                continue
            if self.stages.index(rule.stage) < position or self.stages.index(rule.to) <= position:
                continue
            if not rule.fires(event, fields, views, at):
                continue
            if best is None or self.stages.index(rule.to) > self.stages.index(best.to):
                best = rule
        if event == WON:
            last = self.stages[-1]
            if position >= len(self.stages) - 1:
                return None
            if best is None or best.to != last:
                return StageMove(to=last, rule=f"event:{WON}")
        if best is None:
            return None
        return StageMove(to=best.to, rule=best.label, rule_stage=best.stage)


DEFAULT_STAGE_RULES = StageRules()
