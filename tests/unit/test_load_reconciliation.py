"""The load run's reconciliation names everything accepted that the table does not hold exactly once."""

from __future__ import annotations

from typing import Any

from benchmarks.reconcile import Sent, reconcile


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _view(visitor: str, event_id: str) -> dict[str, Any]:
    return {"pk": _s(f"T#demo#V#{visitor}"), "sk": _s(f"PV#{event_id}"), "kind": _s("pv")}


def _event(lead: str, kind: str, handover: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": _s(f"T#demo#L#{lead}"), "sk": _s(f"EV#{kind}"), "kind": _s("event"), "type": _s(kind)}
    if handover:
        item["details"] = {"M": {"handover_id": _s(handover)}}
    return item


def _survey(lead: str, handover: str) -> dict[str, Any]:
    return {"pk": _s(f"T#demo#L#{lead}"), "sk": _s(f"SV#{handover}"), "kind": _s("survey"), "handover_id": _s(handover)}


def _sent() -> Sent:
    sent = Sent()
    sent.page_views["v1"] = {"a", "b"}
    sent.forms["ld_1"] = 2
    sent.accepted = {"ho_1"}
    sent.answered = 1
    return sent


def _table() -> list[dict[str, Any]]:
    return [_view("v1", "a"), _view("v1", "b"), _view("v2", "not-ours"), _event("ld_1", "form_submit"),
            _event("ld_1", "form_submit"), _event("ld_1", "accepted", "ho_1"), _survey("ld_1", "ho_1"),
            _event("ld_1", "survey_answered")]


def test_a_table_holding_everything_once_reconciles():
    found = reconcile(_table(), _sent())

    assert found["problems"] == []
    assert (found["page_views"], found["forms"], found["leads"], found["accepts"], found["survey_answers"]) == (
        2, 2, 1, 1, 1)


def test_a_missing_page_view_a_lost_form_a_doubled_accept_and_a_lost_answer_are_each_named():
    table = [item for item in _table() if item["sk"]["S"] not in ("PV#b", "EV#survey_answered")]
    table = [item for index, item in enumerate(table) if index != 3] + [_event("ld_1", "accepted", "ho_1")]

    problems = reconcile(table, _sent())["problems"]

    assert problems == ["visitor v1: 1 page views missing, 0 not sent",
                        "lead ld_1: 2 forms accepted, 1 form_submit events",
                        "hand-over ho_1: 2 accepted events, not 1",
                        "1 survey answers accepted, 0 survey_answered events"]


def test_a_page_view_nobody_sent_under_a_visitor_is_named_too():
    problems = reconcile([*_table(), _view("v1", "c")], _sent())["problems"]

    assert problems == ["visitor v1: 0 page views missing, 1 not sent"]


def test_an_accepted_hand_over_whose_survey_was_never_planned_is_named():
    table = [item for item in _table() if item["kind"]["S"] != "survey"]

    assert reconcile(table, _sent())["problems"] == ["hand-over ho_1: 0 surveys planned, not 1"]
    assert reconcile([*_table(), _survey("ld_1", "ho_1")], _sent())["problems"] == [
        "hand-over ho_1: 2 surveys planned, not 1"]
