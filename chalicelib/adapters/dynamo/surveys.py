"""Surveys in the journey table: each in its lead's partition (so erasing the lead erases it), due in the sweep's
index like a hand-over; the person-level rules; the survey report's counters, each event added once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.lead_codec import put_events
from chalicelib.adapters.dynamo.processed import done_item
from chalicelib.adapters.dynamo.table import Table, keyed
from chalicelib.adapters.dynamo.transaction import Transaction, TransactionCancelled
from chalicelib.domain.surveys import SurveyChange, SurveyState, lead_id_of
from chalicelib.errors import ConcurrentUpdate
from chalicelib.services.survey_ports import SurveyRow, SurveyStore

CONSUMER = "survey-report"
ROWS_MAX = 1_000_000
FIELDS = ("tenant_id", "survey_id", "lead_id", "handover_id", "name", "status", "due_at", "expires_at", "owner",
          "reseller", "channel", "campaign", "handover_started_at", "reminder_at", "sent_at", "reminded",
          "completed_at", "skipped_because", "disputed")
# ``expires_at`` is the table's TTL attribute (an epoch number); a survey's link expiry is stored under its own name.
STORED_AS = {"expires_at": "link_expires_at"}


def survey_item(state: SurveyState, version: int) -> dict[str, Any]:
    item = keyed(keys.survey(state.tenant_id, state.lead_id, state.survey_id), kind="survey",
                 **{STORED_AS.get(name, name): getattr(state, name) for name in FIELDS},
                 answers=dict(state.answers) or None, version=version)
    due = state.next_due_at
    if due:
        # Sparse, shared with the hand-overs: the sweep fires a survey whose timer was lost.
        item["gsi1pk"], item["gsi1sk"] = keys.due_index(state.tenant_id, state.survey_id, due)
    return item


def survey_from(item: dict[str, Any]) -> SurveyState:
    return SurveyState(**{name: item.get(STORED_AS.get(name, name)) for name in FIELDS  # type: ignore[arg-type]
                          if STORED_AS.get(name, name) in item},
                       answers=dict(item.get("answers") or {}), version=int(item.get("version", 0)))


class DynamoSurveys(SurveyStore):
    def __init__(self, table: Table):
        self.table = table

    def survey(self, tenant_id: str, survey_id: str) -> SurveyState | None:
        lead_id = lead_id_of(survey_id)
        if lead_id is None:
            return None
        item = self.table.get(keys.survey(tenant_id, lead_id, survey_id), consistent=True)
        return survey_from(item) if item else None

    def lead_surveys(self, tenant_id: str, lead_id: str) -> list[SurveyState]:
        items = self.table.query_partition(keys.lead_partition(tenant_id, lead_id), keys.SURVEY_PREFIX)
        return sorted((survey_from(item) for item in items), key=lambda state: state.due_at)

    def save_survey_change(self, change: SurveyChange, expected_version: int | None,
                           effects: Mapping[str, object] | None = None, sent_to: str | None = None,
                           not_since: str | None = None) -> None:
        state = change.state
        tx = Transaction(self.table)
        item = survey_item(state, (expected_version or 0) + 1)
        if expected_version is None:
            tx.put("survey", item, condition="attribute_not_exists(pk)")
        else:
            tx.put("survey", item, condition="version = :version", values={":version": expected_version})
        if sent_to is not None:
            tx.put("person", keyed(keys.last_surveyed(state.tenant_id, sent_to), kind="surveyed",
                                   sent_at=state.sent_at, survey_id=state.survey_id),
                   condition="attribute_not_exists(pk) OR sent_at < :since", values={":since": not_since or ""})
        if change.events:
            put_events(tx, state.tenant_id, state.lead_id, change.events, dict(effects or {}) or None, carrier=-1)
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            raise ConcurrentUpdate(state.survey_id) from cancelled

    def last_surveyed(self, tenant_id: str, person: str) -> str | None:
        item = self.table.get(keys.last_surveyed(tenant_id, person), consistent=True)
        return str(item["sent_at"]) if item and item.get("sent_at") else None

    def unsubscribed(self, tenant_id: str, person: str) -> bool:
        return self.table.get(keys.unsubscribed(tenant_id, person), consistent=True) is not None

    def unsubscribe(self, tenant_id: str, person: str, at: str, survey_id: str) -> bool:
        return self.table.put_new(keyed(keys.unsubscribed(tenant_id, person), kind="unsubscribed", at=at,
                                        survey_id=survey_id))

    def add_report_once(self, mark: str, tenant_id: str, rows: Mapping[SurveyRow, Mapping[str, int]]) -> bool:
        kept = {row: {name: value for name, value in counts.items() if value} for row, counts in rows.items()}
        kept = {row: counts for row, counts in kept.items() if counts}
        if not kept:
            return False
        tx = Transaction(self.table)
        tx.put("done", done_item(CONSUMER, mark), condition="attribute_not_exists(pk)")
        for index, ((dim, day, group), counts) in enumerate(kept.items()):
            tx.add_counts(f"row:{index}", keys.survey_stats_row(tenant_id, dim, day, group), dict(counts),
                          "survey_stats")
        return tx.commit_once("done")

    def report_rows(self, tenant_id: str, dim: str, from_day: str, to_day: str
                    ) -> list[tuple[str, str, dict[str, int]]]:
        items = self.table.query(
            max_items=ROWS_MAX, KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues={":pk": {"S": keys.survey_stats_partition(tenant_id)},
                                       ":from": {"S": f"{dim}#{from_day}"}, ":to": {"S": f"{dim}#{to_day}#~"}})
        rows = []
        for item in items:
            _, day, group = str(item["sk"]).split("#", 2)
            rows.append((day, group, {name: int(value) for name, value in item.items()
                                      if name not in ("pk", "sk", "kind")}))
        return rows
