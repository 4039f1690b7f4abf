"""The cost model's stream of overlapping visits (``benchmarks/cost.py``): what its "tenant's share" rows rest on."""

from __future__ import annotations

from typing import Any

from benchmarks.cost import overlapping_visits


def _record(visitor: int, page: int) -> dict[str, Any]:
    return {"dynamodb": {"Keys": {"pk": {"S": f"T#demo#V#v{visitor:04d}"}, "sk": {"S": f"PV#{page}"}}}}


def test_overlapping_visits_keep_each_visitors_pages_in_order_and_mix_the_visits():
    records = [_record(visitor, page) for visitor in range(200) for page in range(4)]

    mixed = overlapping_visits(records)

    assert sorted(map(repr, mixed)) == sorted(map(repr, records))  # the same records, each once
    by_visitor: dict[str, list[str]] = {}
    for record in mixed:
        keys = record["dynamodb"]["Keys"]
        by_visitor.setdefault(keys["pk"]["S"], []).append(keys["sk"]["S"])
    assert all(pages == ["PV#0", "PV#1", "PV#2", "PV#3"] for pages in by_visitor.values())
    # The visits overlap: most records of a batch of 25 are pages of different visitors
    first = {record["dynamodb"]["Keys"]["pk"]["S"] for record in mixed[:25]}
    assert len(first) > 12
    assert overlapping_visits(records) == mixed  # a fixed seed: the model's figures repeat
