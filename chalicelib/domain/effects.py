"""What a change leaves for the change-stream consumers, stored with its first timeline event.

The domain decides what a change means for the reports (counters) and for people (notifications);
the consumers carry it out later, once per event.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from chalicelib.domain.handover import Change, Counter, Notification


def effects_of(change: Change, timer_due: str | None = None) -> dict[str, Any]:
    """What follows from a change, for the consumers: report counters, messages, a timer to start."""
    effects: dict[str, Any] = {}
    if change.counters:
        effects["day"] = change.state.start_day
        effects["counters"] = [{k: v for k, v in asdict(counter).items() if v is not None}
                               for counter in change.counters]
    if change.notifications:
        effects["notify"] = [asdict(notification) for notification in change.notifications]
    if timer_due:
        effects["timer"] = timer_due
    return effects


def counters_from(effects: dict[str, Any]) -> list[Counter]:
    return [Counter(name=str(raw["name"]), delta=int(raw.get("delta", 1)), owner=raw.get("owner"))
            for raw in effects.get("counters", [])]


def notifications_from(effects: dict[str, Any]) -> list[Notification]:
    return [Notification(**{key: str(value) for key, value in raw.items()}) for raw in effects.get("notify", [])]


