"""Webhook deliveries that failed every retry, kept per tenant until replayed."""

from __future__ import annotations

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.table import Table, keyed
from chalicelib.services.ports import DeadLetter, DeadLetters


class DynamoDeadLetters(DeadLetters):
    def __init__(self, table: Table):
        self.table = table

    def record_dead_letter(self, letter: DeadLetter) -> None:
        self.table.put(keyed(keys.dead_letter(letter.tenant_id, letter.letter_id), kind="dead_letter", at=letter.at,
                             url=letter.url, body=letter.body, attempts=letter.attempts,
                             last_error=letter.last_error, message_id=letter.message_id))

    def dead_letters(self, tenant_id: str) -> list[DeadLetter]:
        items = self.table.query(KeyConditionExpression="pk = :pk",
                                 ExpressionAttributeValues={":pk": {"S": keys.dead_letters(tenant_id)}})
        return [
            DeadLetter(tenant_id=tenant_id, letter_id=item["sk"], at=item["at"], url=item["url"], body=item["body"],
                       attempts=int(item["attempts"]), last_error=item["last_error"],
                       message_id=item.get("message_id"))
            for item in items
        ]

    def delete_dead_letter(self, tenant_id: str, letter_id: str) -> None:
        self.table.delete(keys.dead_letter(tenant_id, letter_id))
