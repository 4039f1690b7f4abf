"""The local stack's stand-in for the stream's Lambda trigger: reads the emulator's DynamoDB stream.

It polls the table's stream through the ordinary ``dynamodbstreams`` API (moto server emits records
for put, update, batch and transactional writes) and hands each batch to the same consumer entry the
Lambda runs, within a tick of the write.

In AWS the consumer has two event source mappings (infra/template.json), each with a filter: timeline events
and retention marks' removals 25 at a time within a second, page views' inserts up to 1,000 within a minute.
The reader hands what it reads (up to ``READ_LIMIT`` records a call) over as they would (``mapped_batches``:
only what a filter takes, in each mapping's batch size), without their waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from chalicelib.local.provision import mapped_batches
from chalicelib.observability import logger

READ_LIMIT = 250  # records read at a time (DynamoDB Streams answers up to 1,000 a call)
MAX_RETRIES = 10


class StreamReader:
    def __init__(self, dynamodb: Any, streams: Any, table_name: str,
                 handle_batch: Callable[[dict[str, Any]], dict[str, Any]], tick: float = 0.1):
        self.dynamodb = dynamodb
        self.streams = streams
        self.table_name = table_name
        self.handle_batch = handle_batch
        self.tick = tick
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-stream", daemon=True)
        self._iterators: dict[str, str] = {}
        self._retries: dict[str, int] = {}

    def begin(self) -> None:
        arn = self.dynamodb.describe_table(TableName=self.table_name)["Table"]["LatestStreamArn"]
        for shard in self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            self._iterators[shard["ShardId"]] = self.streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def drain(self) -> int:
        """Read and handle every record there is now; answers how many records were read."""
        read = 0
        for shard_id, iterator in list(self._iterators.items()):
            while True:
                answer = self.streams.get_records(ShardIterator=iterator, Limit=READ_LIMIT)
                records = answer.get("Records", [])
                if records:
                    failures = [failure for _, batch in mapped_batches(records)
                                for failure in self.handle_batch({"Records": batch}).get("batchItemFailures", [])]
                    if failures:
                        self._retries[shard_id] = self._retries.get(shard_id, 0) + 1
                        if self._retries[shard_id] <= MAX_RETRIES:
                            # As Lambda would: retry from the first failed record on the next tick.
                            logger.warning("change consumer failed; retrying", extra={"failed": len(failures)})
                            break
                        # As Lambda's retry limit would: give the batch up, loudly, and go on.
                        logger.error("change consumer gave up on records", extra={"failed": failures})
                    self._retries.pop(shard_id, None)
                iterator = answer.get("NextShardIterator") or iterator
                self._iterators[shard_id] = iterator
                read += len(records)
                if len(records) < READ_LIMIT:
                    break
        return read

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.drain()
            except Exception:  # noqa: BLE001 - the next tick reads again
                logger.exception("local stream reader failed")
                self._stop.wait(1.0)
            self._stop.wait(self.tick)
