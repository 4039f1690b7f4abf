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


class _Model:
    def __init__(self, name: str):
        self.name = name


def test_the_meter_counts_a_write_in_each_index_the_item_is_in():
    from benchmarks.cost import Meter

    indexed = {("T#demo#L#l1", "LEAD")}
    meter = Meter(lambda key: {"gsi1pk": {"S": "x"}} if (key["pk"]["S"], key["sk"]["S"]) in indexed else None)

    def key(pk: str, sk: str) -> dict[str, Any]:
        return {"pk": {"S": pk}, "sk": {"S": sk}}

    meter.before(_Model("PutItem"), {"Item": {**key("DONE#x", "DONE"), "gsi1pk": {"S": "LANDINGS#d#0"}}})
    assert meter.take()[1] == 2  # the item and its index entry
    meter.before(_Model("PutItem"), {"Item": key("T#demo#V#v1", "PV#1")})
    assert meter.take()[1] == 1
    meter.before(_Model("UpdateItem"), {"Key": key("T#demo#L#l1", "LEAD"), "UpdateExpression": "SET stage = :s"})
    meter.before(_Model("UpdateItem"), {"Key": key("T#demo#L#l2", "LEAD"), "UpdateExpression": "SET #g = :g",
                                        "ExpressionAttributeNames": {"#g": "gsi2pk"}})
    assert meter.take()[1] == 4  # each update and its index's
    meter.before(_Model("TransactWriteItems"), {"TransactItems": [
        {"Put": {"Item": {**key("a", "b"), "gsi2pk": {"S": "T#demo#LEADS"}}}},
        {"Update": {"Key": key("T#demo#FUNNEL", "VISITORS#d"), "UpdateExpression": "ADD #c0 :c0"}}]})
    assert meter.take()[1] == 2 + 1 + 2
