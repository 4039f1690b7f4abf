"""The load run's reconciliation (``benchmarks/load.py``): what the API accepted against what the table holds.

Kept apart from the locust profile so it can be tested without gevent patching the test process.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any


class Sent:
    """What the API accepted, as the users saw it (gevent: one thread, no locks)."""

    def __init__(self) -> None:
        self.page_views: dict[str, set[str]] = defaultdict(set)  # visitor -> event ids answered 202
        self.forms: Counter[str] = Counter()  # lead id -> forms answered 201
        self.new_leads: list[str] = []
        self.accepted: set[str] = set()  # hand-over ids accepted (changed)
        self.answered = 0
        self.survey_links: list[str] = []
        self.used_links: set[str] = set()
        self.survey_after_accept = True  # the load's journey plans one survey after every accept


def reconcile(items: list[dict[str, Any]], sent: Sent) -> dict[str, Any]:
    """What the table holds of what was accepted; ``problems`` names each thing that is not there exactly once."""
    def text(item: dict[str, Any], name: str) -> str:
        return str(item.get(name, {}).get("S", ""))

    views: dict[str, set[str]] = defaultdict(set)
    forms: Counter[str] = Counter()
    accepts: Counter[str] = Counter()
    surveys: Counter[str] = Counter()
    answered = 0
    for item in items:
        pk, sk, kind = text(item, "pk"), text(item, "sk"), text(item, "kind")
        if kind == "pv" and pk.startswith("T#demo#V#"):
            views[pk.removeprefix("T#demo#V#")].add(sk.removeprefix("PV#"))
        elif kind == "event":
            event_type = text(item, "type")
            if event_type == "form_submit":
                forms[pk.removeprefix("T#demo#L#")] += 1
            elif event_type == "accepted":
                details = item.get("details", {}).get("M", {})
                accepts[str(details.get("handover_id", {}).get("S", "")) or text(item, "handover_id")] += 1
            elif event_type == "survey_answered":
                answered += 1
        elif kind == "survey":
            surveys[text(item, "handover_id")] += 1
    problems: list[str] = []
    for visitor, ids in sent.page_views.items():
        if views.get(visitor, set()) != ids:
            missing, extra = ids - views.get(visitor, set()), views.get(visitor, set()) - ids
            problems.append(f"visitor {visitor}: {len(missing)} page views missing, {len(extra)} not sent")
    for lead_id, count in sent.forms.items():
        if forms.get(lead_id, 0) != count:
            problems.append(f"lead {lead_id}: {count} forms accepted, {forms.get(lead_id, 0)} form_submit events")
    for handover_id in sent.accepted:
        if accepts.get(handover_id, 0) != 1:
            problems.append(f"hand-over {handover_id}: {accepts.get(handover_id, 0)} accepted events, not 1")
        if sent.survey_after_accept and surveys.get(handover_id, 0) != 1:
            problems.append(f"hand-over {handover_id}: {surveys.get(handover_id, 0)} surveys planned, not 1")
    if answered != sent.answered:
        problems.append(f"{sent.answered} survey answers accepted, {answered} survey_answered events")
    return {"page_views": sum(len(ids) for ids in sent.page_views.values()), "forms": sum(sent.forms.values()),
            "leads": len(sent.forms), "accepts": len(sent.accepted), "survey_answers": sent.answered,
            "problems": problems}
