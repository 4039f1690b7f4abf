"""The change-stream consumer: a batch of stream records in, partial batch failures out (Powertools batch).

The same entry serves the Lambda (``on_dynamodb_record``), the local stack's stream reader and the
tests, which hand it records read from the emulator.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from chalicelib.consumers.events import ChangeEvent
from chalicelib.domain.capture import PageView, ViewIdentity
from chalicelib.observability import count, logger

Consumer = Callable[[ChangeEvent], None]
Decode = Callable[[dict[str, Any]], ChangeEvent | None]
ViewConsumer = Callable[[PageView], None]
# A batch's page views in, the identities (``PageView.identity``) of those it could not handle out (retried).
ViewBatchConsumer = Callable[[Sequence[PageView]], set[ViewIdentity]]
DecodeView = Callable[[dict[str, Any]], PageView | None]
RemovalConsumer = Callable[[tuple[str, str]], None]
DecodeRemoval = Callable[[dict[str, Any]], tuple[str, str] | None]


class ViewNotHandled(Exception):
    """A batch consumer could not handle this page view: its record is reported failed, and retried."""


class ChangeStream:
    """Timeline events go to ``consumers``; page views (when ``decode_view`` is given) to ``view_consumers`` one by
    one and to ``view_batch_consumers`` all of a batch at once; removed retention marks (``decode_removal``) to
    ``removal_consumers``."""

    def __init__(self, decode: Decode, consumers: Sequence[Consumer], decode_view: DecodeView | None = None,
                 view_consumers: Sequence[ViewConsumer] = (), decode_removal: DecodeRemoval | None = None,
                 removal_consumers: Sequence[RemovalConsumer] = (),
                 view_batch_consumers: Sequence[ViewBatchConsumer] = ()):
        self.decode = decode
        self.consumers = list(consumers)
        self.decode_view = decode_view
        self.view_consumers = list(view_consumers)
        self.view_batch_consumers = list(view_batch_consumers)
        self.decode_removal = decode_removal
        self.removal_consumers = list(removal_consumers)

    def _views_of(self, records: Sequence[dict[str, Any]]) -> tuple[dict[str, PageView], dict[str, Exception]]:
        """The batch's page views by their record's id (each record is decoded once), and the records that could
        not be decoded, with why: those fail on their own, as they would have in the record's own turn."""
        views: dict[str, PageView] = {}
        broken: dict[str, Exception] = {}
        if self.decode_view is None or not (self.view_consumers or self.view_batch_consumers):
            return views, broken
        for record in records:
            record_id = str(record.get("eventID") or "")
            try:
                view = self.decode_view(record)
            except Exception as error:  # noqa: BLE001 - raised again in the record's turn, failing only it
                broken[record_id] = error
                continue
            if view is not None and record_id:
                views[record_id] = view
        return views, broken

    def _handle_view_batch(self, views: Sequence[PageView]) -> set[ViewIdentity]:
        unhandled: set[ViewIdentity] = set()
        for consume in self.view_batch_consumers:
            try:
                unhandled |= consume(views)
            except Exception:  # noqa: BLE001 - every view of the batch is retried, each consumer idempotent
                logger.exception("change consumer failed", extra={"consumer": type(consume).__name__})
                unhandled |= {view.identity for view in views}
        return unhandled

    def _handle_record(self, record: DynamoDBRecord, views: dict[str, PageView],
                       unhandled: set[ViewIdentity]) -> None:
        event = self.decode(record.raw_event)
        if event is not None:
            logger.append_keys(event_id=event.event_id, event_type=event.type)
            try:
                _run_each(self.consumers, event)
            finally:
                logger.remove_keys(["event_id", "event_type"])
            count("ChangeEventsHandled")
            return
        view = views.get(record.event_id or "")
        if view is not None:
            _run_each(self.view_consumers, view)
            if view.identity in unhandled:
                raise ViewNotHandled(view.event_id)
            return
        removed = self.decode_removal(record.raw_event) if self.decode_removal and self.removal_consumers else None
        if removed is not None:
            _run_each(self.removal_consumers, removed)

    def handle_batch(self, event: dict[str, Any]) -> dict[str, Any]:
        """Each record on its own: a failed one is reported back (and retried, bisected), the others stand. The
        batch consumers run first, over the batch's page views; a view they could not handle fails its record."""
        views, broken = self._views_of(event.get("Records") or [])
        unhandled = self._handle_view_batch(list(views.values())) if self.view_batch_consumers else set()

        def handle(record: DynamoDBRecord) -> None:
            if (record.event_id or "") in broken:
                raise broken[record.event_id or ""]
            self._handle_record(record, views, unhandled)

        processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
        answer = process_partial_response(event=event, record_handler=handle, processor=processor)
        failures = answer.get("batchItemFailures", [])
        if failures:
            count("ChangeEventsFailed", len(failures))
        return dict(answer)


def _run_each(consumers: Sequence[Callable[[Any], None]], change: Any) -> None:
    """Every consumer gets the change even when one before it fails (a slow mail server must not cost the
    report its counts); the record is retried once all have run, each idempotent."""
    failures: list[Exception] = []
    for consume in consumers:
        try:
            consume(change)
        except Exception as error:  # noqa: BLE001 - reported below, the record is retried
            logger.exception("change consumer failed", extra={"consumer": type(consume).__name__})
            failures.append(error)
    if failures:
        raise failures[0]
