"""A timeline event as it arrives from the change stream."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ChangeEvent:
    tenant_id: str
    lead_id: str
    event_id: str
    type: str
    at: str
    details: dict[str, Any] = field(default_factory=dict)
    # What the change that wrote the event left for the consumers: counters, notifications, a timer.
    effects: dict[str, Any] = field(default_factory=dict)
