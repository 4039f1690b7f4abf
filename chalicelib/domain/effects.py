"""What a change leaves for the change-stream consumers, stored with its last timeline event.

The domain decides what a change means for people (notifications) and for the ladder (a timer to
start); the consumers carry it out later, once per event. Report counts are not here: the projection
derives them from the events themselves.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from chalicelib.domain.handover import Change, Notification


def effects_of(change: Change) -> dict[str, Any]:
    """What follows from a change, for the consumers: messages, and a timer to start."""
    effects: dict[str, Any] = {}
    if change.notifications:
        effects["notify"] = [asdict(notification) for notification in change.notifications]
    if change.timer:
        effects["timer"] = change.timer
    return effects


def notifications_from(effects: dict[str, Any]) -> list[Notification]:
    return [Notification(**{key: str(value) for key, value in raw.items()}) for raw in effects.get("notify", [])]
