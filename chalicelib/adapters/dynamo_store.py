"""The journey table in DynamoDB: one table, every key prefixed by its tenant.

Access patterns (table keys ``pk``/``sk``; index ``gsi1`` on ``gsi1pk``/``gsi1sk``; TTL ``expires_at``):

| pattern                          | where  | key                                                          |
|----------------------------------|--------|--------------------------------------------------------------|
| site by site key                 | table  | ``SITE#{site}`` / ``SITE``                                   |
| tenant                           | table  | ``TENANT#{t}`` / ``TENANT``                                  |
| tenant by admin key (hashed)     | table  | ``ADMINKEY#{sha256}`` / ``ADMINKEY``                         |
| record a page view               | table  | ``T#{t}#V#{vid}`` / ``PV#{at}#{event}`` (put, no read)       |
| a visitor's page views           | table  | query ``T#{t}#V#{vid}``, sk begins ``PV#``                   |
| visitor → lead link              | table  | ``T#{t}#V#{vid}`` / ``LEAD#{lead}``                          |
| lead                             | table  | ``T#{t}#L#{lead}`` / ``LEAD``                                |
| a lead's timeline events         | table  | query ``T#{t}#L#{lead}``, sk begins ``EV#``                  |
| leads in a stage since a time    | gsi1   | ``T#{t}#STAGE#{stage}`` / ``{stage_entered_at}#{lead}``      |
| request receipt (idempotency)    | table  | ``T#{t}#RCPT#{hash}`` / ``RCPT`` (TTL 24 h)                  |
| spam                             | table  | ``T#{t}#SPAM#{day}`` / ``{at}#{id}`` (TTL 30 days)           |
| rejected input                   | table  | ``[T#{t}#]REJECTED#{day}`` / ``{at}#{id}`` (TTL 14 days)     |
| journey definition               | table  | ``T#{t}`` / ``JOURNEY``                                      |
| round-robin turn (atomic ADD)    | table  | ``T#{t}#TURN#{rotation}`` / ``TURN``                         |
| hand-over (in the lead's part.)  | table  | ``T#{t}#L#{lead}`` / ``HO#{handover}``                       |
| a lead's hand-overs              | table  | query ``T#{t}#L#{lead}``, sk begins ``HO#``                  |
| hand-overs due (sweep)           | gsi1   | ``DUE#{0..3}`` / ``{next_due_at}#{t}#{handover}`` (sparse)   |
| owner and user key (hashed)      | table  | ``T#{t}#OWNER#{owner}`` / ``OWNER``; ``USERKEY#{sha256}`` / ``USERKEY`` |
| hand-over counters per day       | table  | ``T#{t}#STATS`` / ``{day}#ALL`` and ``{day}#O#{owner}``      |
| webhook dead letters             | table  | ``T#{t}#DLQ`` / ``{at}#{id}``                                |

Only this module builds keys, and only here does ``ConditionalCheckFailedException`` become a domain
signal (``ConcurrentUpdate``, ``DuplicateRequest``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from chalicelib.domain.attribution import Touch
from chalicelib.domain.capture import PageView, RejectedInput, Site
from chalicelib.domain.handover import Change, Counter, HandoverState, LadderStep, lead_id_of
from chalicelib.domain.leads import Lead, SubmissionOutcome, TimelineEvent
from chalicelib.errors import ConcurrentUpdate, DuplicateRequest, InvalidInput
from chalicelib.services.ports import (
    DeadLetter,
    JourneyStore,
    LeadPage,
    LeadUpdate,
    Receipt,
    Spam,
    StoredJourney,
    Tenant,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

REJECTED_TTL = timedelta(days=14)
SPAM_TTL = timedelta(days=30)
MAX_REJECTED_BODY = 2048
MAX_PAGEVIEWS_PER_VISITOR = 2000
DUE_SHARDS = 4

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_item(data: dict[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in data.items() if value is not None and value != {}}


def _from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


def _plain(value: Any) -> Any:
    """Numbers come back from DynamoDB as Decimal; the domain wants int."""
    if isinstance(value, dict):
        return {key: _plain(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_plain(inner) for inner in value]
    if type(value).__name__ == "Decimal":
        return int(value) if value == int(value) else float(value)
    return value


def _expiry(at: str, ttl: timedelta) -> int:
    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return int((moment + ttl).timestamp())


class DynamoJourneyStore(JourneyStore):
    def __init__(self, table_name: str, client: DynamoDBClient):
        self.table_name = table_name
        self.client = client

    # --- tenants and sites -------------------------------------------------------------------

    def save_tenant(self, tenant: Tenant, sites: Sequence[Site], admin_key_hashes: Sequence[str]) -> None:
        items: list[dict[str, Any]] = [
            {"pk": f"TENANT#{tenant.tenant_id}", "sk": "TENANT", "kind": "tenant", "tenant_id": tenant.tenant_id,
             "name": tenant.name, "language": tenant.language},
        ]
        items += [
            {"pk": f"SITE#{site.site_key}", "sk": "SITE", "kind": "site", "tenant_id": site.tenant_id,
             "site_key": site.site_key, "allowed_origins": list(site.allowed_origins), "language": site.language}
            for site in sites
        ]
        items += [
            {"pk": f"ADMINKEY#{key_hash}", "sk": "ADMINKEY", "kind": "admin_key", "tenant_id": tenant.tenant_id}
            for key_hash in admin_key_hashes
        ]
        self._batch_put(items)

    def site(self, site_key: str) -> Site | None:
        item = self._get(f"SITE#{site_key}", "SITE")
        if item is None:
            return None
        return Site(
            site_key=item["site_key"],
            tenant_id=item["tenant_id"],
            allowed_origins=tuple(item.get("allowed_origins", [])),
            language=item.get("language", "en"),
        )

    def tenant(self, tenant_id: str) -> Tenant | None:
        item = self._get(f"TENANT#{tenant_id}", "TENANT")
        if item is None:
            return None
        return Tenant(tenant_id=item["tenant_id"], name=item["name"], language=item.get("language", "en"))

    def tenant_for_admin_key(self, key_hash: str) -> str | None:
        item = self._get(f"ADMINKEY#{key_hash}", "ADMINKEY")
        return None if item is None else str(item["tenant_id"])

    # --- capture -------------------------------------------------------------------------------

    def record_pageviews(self, views: Sequence[PageView], rejected: Sequence[RejectedInput] = ()) -> None:
        items = [self._pageview_item(view) for view in views] + [self._rejected_item(r) for r in rejected]
        if len(items) == 1:
            self.client.put_item(TableName=self.table_name, Item=_to_item(items[0]))
        elif items:
            self._batch_put(items)

    def record_rejected(self, rejected: RejectedInput) -> None:
        self.client.put_item(TableName=self.table_name, Item=_to_item(self._rejected_item(rejected)))

    def record_spam(self, spam: Spam) -> None:
        item = {
            "pk": f"T#{spam.tenant_id}#SPAM#{spam.at[:10]}",
            "sk": f"{spam.at}#{secrets.token_hex(6)}",
            "kind": "spam",
            "site_key": spam.site_key,
            "at": spam.at,
            "fields": json.dumps(spam.fields, default=str)[:MAX_REJECTED_BODY],
            "expires_at": _expiry(spam.at, SPAM_TTL),
        }
        self.client.put_item(TableName=self.table_name, Item=_to_item(item))

    @staticmethod
    def _pageview_item(view: PageView) -> dict[str, Any]:
        # Short attribute names: a page view is the hot path and should stay well under 1 KB.
        touch = view.touch
        return {
            "pk": f"T#{view.tenant_id}#V#{view.visitor_id}",
            "sk": f"PV#{view.at}#{view.event_id}",
            "kind": "pv",
            "ty": view.type,
            "u": view.url,
            "r": view.referrer,
            "ti": view.title,
            "ip": view.ip,
            "ch": touch.channel if touch else None,
            "so": touch.source if touch else None,
            "me": touch.medium if touch else None,
            "ca": touch.campaign if touch else None,
        }

    @staticmethod
    def _rejected_item(rejected: RejectedInput) -> dict[str, Any]:
        prefix = f"T#{rejected.tenant_id}#" if rejected.tenant_id else ""
        return {
            "pk": f"{prefix}REJECTED#{rejected.at[:10]}",
            "sk": f"{rejected.at}#{secrets.token_hex(6)}",
            "kind": "rejected",
            "reason": rejected.reason,
            "source": rejected.source,
            "field": rejected.field,
            "at": rejected.at,
            "body": rejected.body[:MAX_REJECTED_BODY],
            "expires_at": _expiry(rejected.at, REJECTED_TTL),
        }

    def visitor_pageviews(self, tenant_id: str, visitor_id: str) -> list[PageView]:
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :pv)",
            ExpressionAttributeValues={":pk": {"S": f"T#{tenant_id}#V#{visitor_id}"}, ":pv": {"S": "PV#"}},
            max_items=MAX_PAGEVIEWS_PER_VISITOR,
        )
        views = []
        for item in items:
            _, at, event_id = item["sk"].split("#", 2)
            touch = Touch(item["ch"], item.get("so"), item.get("me"), item.get("ca")) if "ch" in item else None
            views.append(
                PageView(
                    tenant_id=tenant_id,
                    visitor_id=visitor_id,
                    event_id=event_id,
                    at=at,
                    url=item["u"],
                    type=item.get("ty", "pageview"),
                    referrer=item.get("r"),
                    title=item.get("ti"),
                    touch=touch,
                    ip=item.get("ip"),
                )
            )
        return views

    # --- leads ---------------------------------------------------------------------------------

    def lead(self, tenant_id: str, lead_id: str) -> Lead | None:
        item = self._get(f"T#{tenant_id}#L#{lead_id}", "LEAD", consistent=True)
        return None if item is None else _lead_from(item)

    def save_submission(
        self,
        outcome: SubmissionOutcome,
        expected_version: int | None,
        receipt: Receipt,
        handovers: Sequence[Change] = (),
    ) -> None:
        lead = outcome.lead
        lead_pk = f"T#{lead.tenant_id}#L#{lead.lead_id}"
        receipt_pk = f"T#{receipt.tenant_id}#RCPT#{receipt.key_hash}"
        transact: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": _to_item({
                        "pk": receipt_pk, "sk": "RCPT", "kind": "receipt", "payload_hash": receipt.payload_hash,
                        "response": json.dumps(receipt.response), "expires_at": receipt.expires_at,
                    }),
                    # An expired receipt may linger until DynamoDB's TTL sweep removes it.
                    "ConditionExpression": "attribute_not_exists(pk) OR expires_at < :now",
                    "ExpressionAttributeValues": {":now": {"N": str(receipt.issued_at)}},
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            self._lead_put(lead, lead_pk, expected_version),
        ]
        for event in outcome.events:
            transact.append({"Put": {"TableName": self.table_name, "Item": _to_item(self._event_item(lead_pk, event))}})
        if outcome.visitor_id:
            transact.append({
                "Put": {
                    "TableName": self.table_name,
                    "Item": _to_item({
                        "pk": f"T#{lead.tenant_id}#V#{outcome.visitor_id}", "sk": f"LEAD#{lead.lead_id}",
                        "kind": "visitor_link", "lead_id": lead.lead_id, "at": lead.updated_at,
                    }),
                }
            })
        for change in handovers:
            transact += self._handover_writes(change, None)
        if handovers:
            transact += self._counter_updates(
                lead.tenant_id, handovers[0].state.start_day, [c for change in handovers for c in change.counters]
            )
        try:
            self.client.transact_write_items(TransactItems=transact)  # type: ignore[arg-type]
        except self.client.exceptions.TransactionCanceledException as error:
            reasons = error.response.get("CancellationReasons", [])
            codes = [reason.get("Code") for reason in reasons]
            if codes and codes[0] == "ConditionalCheckFailed":
                old = _from_item(dict(reasons[0].get("Item") or {}))
                old = old or self._get(receipt_pk, "RCPT", consistent=True) or {}
                raise DuplicateRequest(
                    {"payload_hash": old.get("payload_hash"), **json.loads(old.get("response", "{}"))}
                ) from error
            if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                raise ConcurrentUpdate(lead.lead_id) from error
            if "TransactionConflict" in codes:
                raise ConcurrentUpdate(lead.lead_id) from error
            raise

    def _lead_put(self, lead: Lead, lead_pk: str, expected_version: int | None) -> dict[str, Any]:
        item = {
            "pk": lead_pk,
            "sk": "LEAD",
            "kind": "lead",
            "gsi1pk": f"T#{lead.tenant_id}#STAGE#{lead.stage}",
            "gsi1sk": f"{lead.stage_entered_at}#{lead.lead_id}",
            "tenant_id": lead.tenant_id,
            "lead_id": lead.lead_id,
            "email": lead.email,
            "stage": lead.stage,
            "stage_entered_at": lead.stage_entered_at,
            "lead_type": lead.lead_type,
            "first_touch": {k: v for k, v in lead.first_touch.as_dict().items() if v is not None},
            "last_touch": {k: v for k, v in lead.last_touch.as_dict().items() if v is not None},
            "created_at": lead.created_at,
            "updated_at": lead.updated_at,
            "name": lead.name,
            "phone": lead.phone,
            "company": lead.company,
            "referred_by": lead.referred_by,
            "fields": dict(lead.fields),
            "consent": {purpose: {k: v for k, v in entry.items() if v is not None}
                        for purpose, entry in lead.consent.items()},
            "visitors": list(lead.visitors),
            "submissions": lead.submissions,
            "handovers": dict(lead.handovers),
            "version": (expected_version or 0) + 1,
        }
        put: dict[str, Any] = {"TableName": self.table_name, "Item": _to_item(item)}
        if expected_version is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :version"
            put["ExpressionAttributeValues"] = {":version": {"N": str(expected_version)}}
        return {"Put": put}

    @staticmethod
    def _event_item(lead_pk: str, event: TimelineEvent) -> dict[str, Any]:
        return {
            "pk": lead_pk,
            "sk": f"EV#{event.at}#{event.seq:04d}#{event.event_id}",
            "kind": "event",
            "type": event.type,
            "at": event.at,
            "details": {key: value for key, value in event.details.items() if value is not None},
        }

    def lead_events(self, tenant_id: str, lead_id: str) -> list[TimelineEvent]:
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :ev)",
            ExpressionAttributeValues={":pk": {"S": f"T#{tenant_id}#L#{lead_id}"}, ":ev": {"S": "EV#"}},
        )
        return [
            TimelineEvent(
                event_id=item["sk"].rsplit("#", 1)[1], type=item["type"], at=item["at"],
                details=_plain(item.get("details", {})),
            )
            for item in items
        ]

    def leads_in_stage(self, tenant_id: str, stage: str, since: str, limit: int, cursor: str | None) -> LeadPage:
        partition = f"T#{tenant_id}#STAGE#{stage}"
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :pk AND gsi1sk >= :since",
            "ExpressionAttributeValues": {":pk": {"S": partition}, ":since": {"S": since}},
            "Limit": limit,
        }
        if cursor:
            request["ExclusiveStartKey"] = _decode_cursor(cursor, partition)
        answer = self.client.query(**request)
        leads = [_lead_from(_from_item(dict(item))) for item in answer.get("Items", [])]
        last = answer.get("LastEvaluatedKey")
        return LeadPage(leads=leads, next_cursor=_encode_cursor(last) if last else None)

    # --- hand-overs ----------------------------------------------------------------------------

    def journey(self, tenant_id: str) -> StoredJourney | None:
        item = self._get(f"T#{tenant_id}", "JOURNEY", consistent=True)
        if item is None:
            return None
        return StoredJourney(document=json.loads(item["document"]), updated_at=item["updated_at"],
                             version=int(item["version"]))

    def save_journey(self, tenant_id: str, document: dict[str, Any], at: str) -> StoredJourney:
        answer = self.client.update_item(
            TableName=self.table_name,
            Key={"pk": {"S": f"T#{tenant_id}"}, "sk": {"S": "JOURNEY"}},
            UpdateExpression="SET #doc = :doc, updated_at = :at, kind = :kind ADD version :one",
            ExpressionAttributeNames={"#doc": "document"},
            ExpressionAttributeValues={":doc": {"S": json.dumps(document)}, ":at": {"S": at},
                                       ":kind": {"S": "journey"}, ":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        )
        return StoredJourney(document=document, updated_at=at, version=int(answer["Attributes"]["version"]["N"]))

    def next_turn(self, tenant_id: str, rotation: str) -> int:
        answer = self.client.update_item(
            TableName=self.table_name,
            Key={"pk": {"S": f"T#{tenant_id}#TURN#{rotation}"}, "sk": {"S": "TURN"}},
            UpdateExpression="ADD turn :one SET kind = :kind",
            ExpressionAttributeValues={":one": {"N": "1"}, ":kind": {"S": "turn"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(answer["Attributes"]["turn"]["N"])

    def handover(self, tenant_id: str, handover_id: str) -> HandoverState | None:
        lead_id = lead_id_of(handover_id)
        if lead_id is None:
            return None
        item = self._get(f"T#{tenant_id}#L#{lead_id}", f"HO#{handover_id}", consistent=True)
        return None if item is None else _handover_from(item)

    def lead_handovers(self, tenant_id: str, lead_id: str) -> list[HandoverState]:
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :ho)",
            ExpressionAttributeValues={":pk": {"S": f"T#{tenant_id}#L#{lead_id}"}, ":ho": {"S": "HO#"}},
        )
        return sorted((_handover_from(item) for item in items), key=lambda state: state.started_at)

    def _handover_writes(self, change: Change, expected_version: int | None) -> list[dict[str, Any]]:
        state = change.state
        lead_pk = f"T#{state.tenant_id}#L#{state.lead_id}"
        item = {
            "pk": lead_pk,
            "sk": f"HO#{state.handover_id}",
            "kind": "handover",
            "tenant_id": state.tenant_id,
            "handover_id": state.handover_id,
            "lead_id": state.lead_id,
            "name": state.name,
            "owner": state.owner,
            "status": state.status,
            "started_at": state.started_at,
            "accept_due_at": state.accept_due_at,
            "contact_due_at": state.contact_due_at,
            "steps": [{k: v for k, v in vars(step).items() if v is not None} for step in state.steps] or None,
            "next_step": state.next_step,
            "candidates": list(state.candidates) or None,
            "declined_by": list(state.declined_by) or None,
            "accepted_at": state.accepted_at,
            "accepted_late": state.accepted_late,
            "accepted_by": state.accepted_by,
            "contacted_at": state.contacted_at,
            "version": (expected_version or 0) + 1,
        }
        if state.next_due_at:
            # Sparse: only hand-overs with a step ahead are in the sweep's index, spread over four partitions.
            shard = int(hashlib.sha256(state.handover_id.encode()).hexdigest(), 16) % DUE_SHARDS
            item["gsi1pk"] = f"DUE#{shard}"
            item["gsi1sk"] = f"{state.next_due_at}#{state.tenant_id}#{state.handover_id}"
        put: dict[str, Any] = {"TableName": self.table_name, "Item": _to_item(item)}
        if expected_version is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :version"
            put["ExpressionAttributeValues"] = {":version": {"N": str(expected_version)}}
        writes: list[dict[str, Any]] = [{"Put": put}]
        writes += [
            {"Put": {"TableName": self.table_name, "Item": _to_item(self._event_item(lead_pk, event))}}
            for event in change.events
        ]
        return writes

    def _counter_updates(self, tenant_id: str, day: str, counters: Sequence[Counter]) -> list[dict[str, Any]]:
        rows: dict[str | None, dict[str, int]] = {}
        for counter in counters:
            row = rows.setdefault(counter.owner, {})
            row[counter.name] = row.get(counter.name, 0) + counter.delta
        updates = []
        for owner, counts in rows.items():
            names = {f"#c{index}": name for index, name in enumerate(counts)}
            values: dict[str, Any] = {f":c{index}": {"N": str(value)} for index, value in enumerate(counts.values())}
            values[":kind"] = {"S": "counters"}
            additions = ", ".join(f"#c{index} :c{index}" for index in range(len(counts)))
            row_key = f"{day}#O#{owner}" if owner else f"{day}#ALL"
            updates.append({
                "Update": {
                    "TableName": self.table_name,
                    "Key": {"pk": {"S": f"T#{tenant_id}#STATS"}, "sk": {"S": row_key}},
                    "UpdateExpression": f"ADD {additions} SET kind = :kind",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            })
        return updates

    def save_handover_change(self, change: Change, expected_version: int, lead: LeadUpdate | None = None) -> None:
        writes = self._handover_writes(change, expected_version)
        writes += self._counter_updates(change.state.tenant_id, change.state.start_day, change.counters)
        if lead is not None:
            lead_pk = f"T#{lead.lead.tenant_id}#L#{lead.lead.lead_id}"
            writes.append(self._lead_put(lead.lead, lead_pk, lead.expected_version))
            writes += [
                {"Put": {"TableName": self.table_name, "Item": _to_item(self._event_item(lead_pk, event))}}
                for event in lead.events
            ]
        try:
            self.client.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        except self.client.exceptions.TransactionCanceledException as error:
            codes = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
            if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
                raise ConcurrentUpdate(change.state.handover_id) from error
            raise

    def due_handovers(self, until: str, limit: int = 100) -> list[tuple[str, str]]:
        due: list[tuple[str, str, str]] = []
        for shard in range(DUE_SHARDS):
            answer = self.client.query(
                TableName=self.table_name,
                IndexName="gsi1",
                KeyConditionExpression="gsi1pk = :pk AND gsi1sk <= :until",
                ExpressionAttributeValues={":pk": {"S": f"DUE#{shard}"}, ":until": {"S": f"{until}#~"}},
                Limit=limit,
            )
            for item in answer.get("Items", []):
                at, tenant_id, handover_id = item["gsi1sk"]["S"].split("#", 2)
                due.append((at, tenant_id, handover_id))
        return [(tenant_id, handover_id) for _, tenant_id, handover_id in sorted(due)[:limit]]

    def save_owner(self, tenant_id: str, owner: str, email: str, language: str | None, key_hash: str) -> None:
        self._batch_put([
            {"pk": f"T#{tenant_id}#OWNER#{owner}", "sk": "OWNER", "kind": "owner", "owner": owner, "email": email,
             "language": language},
            {"pk": f"USERKEY#{key_hash}", "sk": "USERKEY", "kind": "user_key", "tenant_id": tenant_id, "owner": owner},
        ])

    def owner_for_key(self, key_hash: str) -> tuple[str, str] | None:
        item = self._get(f"USERKEY#{key_hash}", "USERKEY")
        return None if item is None else (str(item["tenant_id"]), str(item["owner"]))

    def owner_contact(self, tenant_id: str, owner: str) -> tuple[str, str | None] | None:
        item = self._get(f"T#{tenant_id}#OWNER#{owner}", "OWNER")
        return None if item is None else (str(item["email"]), item.get("language"))

    def handover_counters(self, tenant_id: str, from_day: str, to_day: str) -> list[tuple[str | None, dict[str, int]]]:
        items = self._query(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues={":pk": {"S": f"T#{tenant_id}#STATS"}, ":from": {"S": from_day},
                                       ":to": {"S": f"{to_day}#~"}},
        )
        rows: list[tuple[str | None, dict[str, int]]] = []
        for item in items:
            _, scope = item["sk"].split("#", 1)
            counts = {key: int(value) for key, value in _plain(item).items() if key not in ("pk", "sk", "kind")}
            rows.append((None if scope == "ALL" else scope.removeprefix("O#"), counts))
        return rows

    def record_dead_letter(self, letter: DeadLetter) -> None:
        item = {"pk": f"T#{letter.tenant_id}#DLQ", "sk": letter.letter_id, "kind": "dead_letter", "at": letter.at,
                "url": letter.url, "body": letter.body, "attempts": letter.attempts, "last_error": letter.last_error}
        self.client.put_item(TableName=self.table_name, Item=_to_item(item))

    def dead_letters(self, tenant_id: str) -> list[DeadLetter]:
        items = self._query(KeyConditionExpression="pk = :pk",
                            ExpressionAttributeValues={":pk": {"S": f"T#{tenant_id}#DLQ"}})
        return [
            DeadLetter(tenant_id=tenant_id, letter_id=item["sk"], at=item["at"], url=item["url"], body=item["body"],
                       attempts=int(item["attempts"]), last_error=item["last_error"])
            for item in items
        ]

    def delete_dead_letter(self, tenant_id: str, letter_id: str) -> None:
        self.client.delete_item(TableName=self.table_name,
                                Key={"pk": {"S": f"T#{tenant_id}#DLQ"}, "sk": {"S": letter_id}})

    # --- plumbing ------------------------------------------------------------------------------

    def _get(self, pk: str, sk: str, consistent: bool = False) -> dict[str, Any] | None:
        answer = self.client.get_item(
            TableName=self.table_name, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=consistent
        )
        item = answer.get("Item")
        return None if item is None else _from_item(item)

    def _query(self, max_items: int = 10_000, **request: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            answer = self.client.query(TableName=self.table_name, **request)
            items.extend(_from_item(item) for item in answer.get("Items", []))
            last = answer.get("LastEvaluatedKey")
            if not last or len(items) >= max_items:
                return items[:max_items]
            request["ExclusiveStartKey"] = last

    def _batch_put(self, items: list[dict[str, Any]]) -> None:
        for start in range(0, len(items), 25):
            pending: list[Any] = [{"PutRequest": {"Item": _to_item(item)}} for item in items[start:start + 25]]
            attempt = 0
            while pending:
                answer = self.client.batch_write_item(RequestItems={self.table_name: pending})
                pending = answer.get("UnprocessedItems", {}).get(self.table_name, [])
                if pending:
                    # Throttled items are retried with back-off; accepted data is never dropped quietly.
                    attempt += 1
                    if attempt > 6:
                        raise RuntimeError(f"{len(pending)} items stayed unprocessed after {attempt} attempts")
                    time.sleep(min(0.05 * 2**attempt, 1.0))


def _lead_from(item: dict[str, Any]) -> Lead:
    item = _plain(item)
    return Lead(
        tenant_id=item["tenant_id"],
        lead_id=item["lead_id"],
        email=item["email"],
        stage=item["stage"],
        stage_entered_at=item["stage_entered_at"],
        lead_type=item["lead_type"],
        first_touch=Touch.from_dict(item.get("first_touch")),
        last_touch=Touch.from_dict(item.get("last_touch")),
        created_at=item["created_at"],
        updated_at=item["updated_at"],
        name=item.get("name"),
        phone=item.get("phone"),
        company=item.get("company"),
        referred_by=item.get("referred_by"),
        fields=item.get("fields", {}),
        consent=item.get("consent", {}),
        visitors=tuple(item.get("visitors", [])),
        submissions=item.get("submissions", 0),
        handovers=item.get("handovers", {}),
        version=item.get("version", 0),
    )


def _handover_from(item: dict[str, Any]) -> HandoverState:
    item = _plain(item)
    return HandoverState(
        tenant_id=item["tenant_id"],
        handover_id=item["handover_id"],
        lead_id=item["lead_id"],
        name=item["name"],
        owner=item["owner"],
        status=item["status"],
        started_at=item["started_at"],
        accept_due_at=item["accept_due_at"],
        contact_due_at=item.get("contact_due_at"),
        steps=tuple(LadderStep(**step) for step in item.get("steps", [])),
        next_step=item.get("next_step", 0),
        candidates=tuple(item.get("candidates", [])),
        declined_by=tuple(item.get("declined_by", [])),
        accepted_at=item.get("accepted_at"),
        accepted_late=item.get("accepted_late"),
        accepted_by=item.get("accepted_by"),
        contacted_at=item.get("contacted_at"),
        version=item.get("version", 0),
    )


def _encode_cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def _decode_cursor(cursor: str, partition: str) -> dict[str, Any]:
    """A cursor only continues the query it came from: another tenant's or stage's cursor is refused."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if key["gsi1pk"]["S"] != partition:
            raise ValueError("cursor belongs to another query")
        if set(key) != {"gsi1pk", "gsi1sk", "pk", "sk"}:
            raise ValueError("unexpected cursor keys")
        return dict(key)
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise InvalidInput("cursor is not one this query handed out", field="cursor") from error
