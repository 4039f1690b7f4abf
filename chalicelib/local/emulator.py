"""Patches that let the local stack's AWS emulator (moto server) and API server carry real load.

Only ``chalicelib.local.stack`` and tests import this module; the Lambda code never does. ``install()``
applies every patch once, before the moto server and chalice's local server start. Each patch wraps
one function or sets one attribute, and is checked against the moto version it was written for
(``MOTO_VERSION``): on another version the moto patches are skipped with a warning, so the stack
still runs (with moto's own behaviour) and nobody patches code they have not read.

What each patch fixes, and why it is safe:

``serialise_dynamodb``
    moto's threaded server runs DynamoDB and DynamoDB Streams requests concurrently on one shared,
    unlocked in-memory backend. A transaction deep-copies a table while another thread writes to it
    (``dictionary changed size during iteration``: 75 % of forms answered 500 at 40 connections),
    and ``UpdateItem`` mutates items in place while another request serialises them. One re-entrant
    lock now spans each request's whole ``call_action`` (backend call and serialisation), for both
    services, so a stream reader also never sees half a transaction. Safe: the work is CPU-bound
    Python under the GIL, so serialising it costs no real parallelism.

``snapshot_touched_items``
    ``DynamoDBBackend.transact_write_items`` deep-copies every table a transaction names, for
    rollback, so each transaction costs time and memory in proportion to the whole table; rollback
    also swapped in the copy, so a stream reader's shard iterator kept pointing at the old, dead
    shard. Now moto's table copy is skipped (its ``copy.deepcopy`` returns the table itself, only
    inside this call) and the wrapper snapshots only the items the transaction names, plus where
    each stream ends. If moto raises, those items are put back in place and the stream records of
    the cancelled writes are dropped, so the result is what moto's full-copy rollback gave: all or
    nothing, with no stream records for a cancelled transaction. Writes that commit go through moto's
    own put/update/delete code, so stream records are produced exactly as before. When the items
    cannot be named (a malformed request), moto's original path runs unchanged and raises its error.

``stop_instance_tracking``
    ``moto.core.common_models.BaseModel.__new__`` appends every model instance ever created to a
    class list (``instances_tracked``, shown on moto's ``/moto-api/data.json`` dashboard) and never
    removes it: every item version, deep copy, stream record and shard iterator stayed alive (this
    is what kept moto's table copies alive: 200 forms took 3.8 GB). Now instances are created without
    being tracked, and what is already tracked is released. Safe: only the dashboard and S3's
    ``reset()`` read those lists, and the local stack uses neither.

``bound_shard_iterators``
    Each ``GetRecords`` call stores a new shard iterator (some 1.7 kB) in
    ``DynamoDBStreamsBackend.shard_iterators`` forever, so the local stack's stream reader, polling
    ten times a second, grew the emulator by some 60 MB an hour even when idle. Only the
    ``SHARD_ITERATORS_KEPT`` most recently issued or used iterators are kept (AWS expires them after
    15 minutes anyway). Safe: a reader uses the iterator it was just given, or retries the one it
    used last, which using it keeps.

``list_moto_modules_once``
    To route each request, moto's server lists its own package directory and stats every entry
    (``moto.backends.list_of_moto_modules``, some 200 ``isdir`` calls), while holding the lock that
    all its requests share: the largest single cost left once the patches above were in. The list
    is now read once. Safe: the installed package does not change while the stack runs.

``bound_stream_records``
    ``StreamShard`` keeps every stream record it ever made (the local table has a stream): with the
    change-stream reader in the stack they were the largest thing to grow, more than the table itself
    (some 70 MB per 1,000 forms). Each stream now keeps the ``STREAM_RECORDS_KEPT`` newest records
    its reader has read, as DynamoDB keeps 24 hours, and every record not read yet: the oldest are
    dropped and the shard's starting sequence number moves past them, so moto's sequence arithmetic
    (record n is at ``n - starting_sequence_number``) holds and sequence numbers stay increasing.
    Records nobody has read are dropped only past ``STREAM_UNREAD_KEPT`` (a reader that far behind
    is stuck; the drop is printed), because under load the local reader falls minutes behind, and a
    dropped record is a lost e-mail, hand-over or survey. A reader still before the oldest kept record
    reads on from it instead of failing (DynamoDB would answer ``TrimmedDataAccessException``, which
    the local reader does not handle). Safe: the stack has one reader, so "read" is its position.

``query_one_partition``
    ``Table.query`` starts from ``Table.all_items()``, which lists *and sorts* every item of the table,
    and then keeps those of the one partition asked for: each query cost O(n log n) comparisons of
    moto's ``DynamoType`` (reading one lead took 0.7 s with 1,000 leads in the table, over 30 s
    under 20 clients). Inside ``query`` only, ``all_items`` now answers the partition's items for a table
    query, and the items unsorted for an index query. Safe: ``query`` itself then sorts what it
    kept by range key (table) or by every index and table key (index), a total order, so results
    and pages are the same; everywhere else (scan, export) ``all_items`` is unchanged.

``answer_item_reads_as_json``
    moto 5.2 writes every DynamoDB answer through its model-driven serialiser, which walks the service
    model's shape for each attribute of each item: most of the emulator's time in the contract run, which
    reads the whole table before and after each call (a ``Scan`` of 120 items of 8 attributes took 78 ms
    in-process, now 12 ms; a ``GetItem`` 1.4 ms, now 0.8 ms; measured on the 2-core machine). The
    answers of the four item reads (``GetItem``, ``BatchGetItem``, ``Query``, ``Scan``) are already
    DynamoDB's JSON once moto has turned its ``DynamoType`` values into dictionaries; they are now written
    with ``json.dumps`` (binary values as base64, as the serialiser writes them), with the serialiser's
    status code, content type and headers. Safe: any other operation, answer or error goes through moto's
    serialiser unchanged, and a test compares both writers' answers for every attribute type and each read.

``raise_listen_backlog``
    chalice's local server (``chalice.local.ThreadedHTTPServer``, already a thread per connection)
    listens with ``socketserver``'s backlog of 5, so bursts of more connections were reset. It now
    uses ``LISTEN_BACKLOG`` (the kernel caps it at ``net.core.somaxconn``). Safe: one attribute that
    only the local dev server reads, when it binds.

How it was measured: forms posted with ``urllib`` from N client threads (``POST /forms/demo``, each a
new lead with its timeline events and a round-robin hand-over) to ``python -m chalicelib.local.stack``,
RSS of that process read from ``/proc/<pid>/status``, on a 2-core machine.

On commit e55b88c (before the change-stream reader):

* before: 200 forms, 1 client: 1.7 forms/s, RSS 133 MB → 3,985 MB. 200 forms, 20 clients: 111
  answered 500, RSS 132 → 1,364 MB. 1,000 forms, 20 clients (``tests/e2e/test_local_stack_load.py``):
  592 answered 500, 5 connections reset, sending stopped after 88 s at 1.6 GB more.
* after: 200 forms, 1 client: 27.6 forms/s (24.3 without ``list_moto_modules_once``), RSS 133 →
  143 MB. 1,000 forms, 20 clients: all 201, 45.7 forms/s, RSS 134 → 166 MB. ``GET /leads/{id}`` with
  1,000 leads in the table: 689 ms → 52 ms (``query_one_partition``).

With the change-stream reader and the round-robin turn taken in the form's own transaction (commit
babd0d1 and the tree after it), all patches in: 1 client 14.8 forms/s, 4 clients 15.3 forms/s, 20
clients 6.6 forms/s, all 201; 1,000 forms from 20 clients take 150 s, RSS 126 → 206 MB (127 → 232 MB
without ``bound_stream_records``). At 20 clients most transactions lose the race for the one
round-robin item and are retried: that is the application's contention, which the emulator serialises
faithfully, not emulator overhead.
"""

from __future__ import annotations

import base64
import contextvars
import copy
import functools
import json
import sys
import threading
import types
import warnings
from collections.abc import Callable
from typing import Any

MOTO_VERSION = "5.2.5"
LISTEN_BACKLOG = 1024
SHARD_ITERATORS_KEPT = 1000
STREAM_RECORDS_KEPT = 5_000
STREAM_UNREAD_KEPT = 200_000
_READ_TO = "_leadtrail_read_to"

_PATCHED = "_leadtrail_emulator_patch"
_installed = False
_install_lock = threading.Lock()
dynamodb_lock = threading.RLock()
"""Held for the whole of every DynamoDB and DynamoDB Streams request the emulator serves."""
_skip_table_copy: contextvars.ContextVar[bool] = contextvars.ContextVar("_skip_table_copy", default=False)
_querying: contextvars.ContextVar[tuple[Any, Any, bool] | None] = contextvars.ContextVar("_querying", default=None)
_QUERY_PARAMETERS = ["self", "hash_key", "range_comparison", "range_objs", "limit", "exclusive_start_key",
                     "scan_index_forward", "projection_expressions", "index_name"]


def install() -> None:
    """Apply every patch once (later calls do nothing); warn and skip moto's patches on another version."""
    global _installed
    with _install_lock:
        if _installed:
            return
        raise_listen_backlog()
        import moto

        if moto.__version__ != MOTO_VERSION:
            warnings.warn(
                f"chalicelib.local.emulator was written for moto {MOTO_VERSION}, found {moto.__version__}: "
                "its moto patches are skipped, so the local stack may be slow and leak memory under load",
                RuntimeWarning, stacklevel=2,
            )
        else:
            serialise_dynamodb()
            snapshot_touched_items()
            stop_instance_tracking()
            bound_shard_iterators()
            bound_stream_records()
            list_moto_modules_once()
            query_one_partition()
            answer_item_reads_as_json()
        _installed = True


def _wrap(owner: type, name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    original = owner.__dict__.get(name) or getattr(owner, name)
    if getattr(original, _PATCHED, False):
        return
    wrapped = functools.wraps(original)(make(original))
    setattr(wrapped, _PATCHED, True)
    setattr(owner, name, wrapped)


def serialise_dynamodb() -> None:
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def call_action(self: Any) -> Any:
            with dynamodb_lock:
                return original(self)
        return call_action

    for handler in (DynamoHandler, DynamoDBStreamsHandler):
        _wrap(handler, "call_action", make)


class _TouchedItems:
    """The items a transaction names, as they were before it, and each touched stream's length."""

    def __init__(self, backend: Any, transact_items: list[dict[str, Any]]):
        self.items: list[tuple[Any, Any, Any, Any]] = []  # (table, hash key, range key, item copy or None)
        self.streams: dict[int, tuple[list[Any], Any, int]] = {}  # id(shard) → (its list, shard, next sequence)
        for entry in transact_items:
            _, operation = next(iter(entry.items()))
            table = backend.get_table(operation["TableName"])
            if "Key" in operation:
                key = operation["Key"]
            else:
                key = {name: operation["Item"][name] for name in table.table_key_attrs}
            hash_key, range_key = backend.get_keys_value(table, key)
            if range_key is None:
                current = table.items.get(hash_key)
            else:
                current = table.items.get(hash_key, {}).get(range_key)
            self.items.append((table, hash_key, range_key, copy.deepcopy(current)))
            shard = table.stream_shard
            if shard is not None and id(shard) not in self.streams:
                self.streams[id(shard)] = (shard.items, shard, shard.starting_sequence_number + len(shard.items))

    def restore(self) -> None:
        for table, hash_key, range_key, before in reversed(self.items):
            container = table.items if range_key is None else table.items[hash_key]
            key = hash_key if range_key is None else range_key
            if before is None:
                container.pop(key, None)
            else:
                container[key] = before
        for records, shard, next_sequence in self.streams.values():
            if shard.items is records:
                del records[max(0, next_sequence - shard.starting_sequence_number):]


class _TableKeepingCopy(types.ModuleType):
    """``copy`` for moto's DynamoDB backend module: inside a transaction, a table "copy" is the table."""

    def __init__(self) -> None:
        super().__init__("copy")
        self.copy = copy.copy

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        from moto.dynamodb.models.table import Table

        if _skip_table_copy.get() and isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)


def snapshot_touched_items() -> None:
    import moto.dynamodb.models as backend_module

    if not isinstance(backend_module.copy, _TableKeepingCopy):
        backend_module.copy = _TableKeepingCopy()

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
            try:
                touched = _TouchedItems(self, transact_items)
            except Exception:  # noqa: BLE001 - moto's own path raises the right error for a bad request
                return original(self, transact_items)
            skipping = _skip_table_copy.set(True)
            try:
                original(self, transact_items)
            except BaseException:
                touched.restore()
                raise
            finally:
                _skip_table_copy.reset(skipping)
        return transact_write_items

    _wrap(backend_module.DynamoDBBackend, "transact_write_items", make)


def stop_instance_tracking() -> None:
    from moto.core.common_models import BaseModel
    from moto.core.model_instances import reset_model_data

    if getattr(getattr(BaseModel.__dict__["__new__"], "__func__", None), _PATCHED, False):
        return

    def untracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
        return object.__new__(cls)

    setattr(untracked_new, _PATCHED, True)
    BaseModel.__new__ = staticmethod(untracked_new)  # type: ignore[method-assign]
    reset_model_data()


def bound_shard_iterators() -> None:
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    def keep_newest(iterators: dict[str, Any]) -> None:
        for stale in list(iterators)[:-SHARD_ITERATORS_KEPT]:
            del iterators[stale]

    def make_get_shard_iterator(original: Callable[..., Any]) -> Callable[..., Any]:
        def get_shard_iterator(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(self, *args, **kwargs)
            keep_newest(self.shard_iterators)
            return result
        return get_shard_iterator

    def make_get_records(original: Callable[..., Any]) -> Callable[..., Any]:
        def get_records(self: Any, iterator_arn: str, *args: Any, **kwargs: Any) -> Any:
            iterators = self.shard_iterators
            if iterator_arn in iterators:  # a reader retrying one iterator keeps it
                iterators[iterator_arn] = iterators.pop(iterator_arn)
            result = original(self, iterator_arn, *args, **kwargs)
            keep_newest(iterators)
            return result
        return get_records

    _wrap(DynamoDBStreamsBackend, "get_shard_iterator", make_get_shard_iterator)
    _wrap(DynamoDBStreamsBackend, "get_records", make_get_records)


def bound_stream_records() -> None:
    from moto.dynamodb.models.table import StreamShard

    def make_add(original: Callable[..., Any]) -> Callable[..., Any]:
        def add(self: Any, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            read = min(max(getattr(self, _READ_TO, 0) - self.starting_sequence_number, 0), len(self.items))
            unread = len(self.items) - read
            drop = 0
            if read - STREAM_RECORDS_KEPT > STREAM_RECORDS_KEPT // 10:  # trimmed in steps, not one per write
                drop = read - STREAM_RECORDS_KEPT
            if unread - STREAM_UNREAD_KEPT > STREAM_UNREAD_KEPT // 10:
                drop = len(self.items) - STREAM_UNREAD_KEPT
                print(f"local stream: its reader is {unread} records behind; the oldest {drop - read} "
                      "unread records are dropped", file=sys.stderr, flush=True)
            if drop:
                del self.items[:drop]
                self.starting_sequence_number += drop
        return add

    def make_get(original: Callable[..., Any]) -> Callable[..., Any]:
        def get(self: Any, start: int, quantity: int) -> Any:
            start = max(start, self.starting_sequence_number)
            records = original(self, start, quantity)
            setattr(self, _READ_TO, max(getattr(self, _READ_TO, 0), start + len(records)))
            return records
        return get

    _wrap(StreamShard, "add", make_add)
    _wrap(StreamShard, "get", make_get)


def query_one_partition() -> None:
    import inspect

    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    parameters = list(inspect.signature(Table.__dict__["query"]).parameters)
    if parameters[:len(_QUERY_PARAMETERS)] != _QUERY_PARAMETERS:
        warnings.warn(f"moto's Table.query takes {parameters}: query_one_partition is skipped",
                      RuntimeWarning, stacklevel=2)
        return

    def make_query(original: Callable[..., Any]) -> Callable[..., Any]:
        def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
            index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
            if index_name is None and not isinstance(hash_key, DynamoType):
                return original(self, hash_key, *args, **kwargs)
            scope = _querying.set((self, hash_key, index_name is not None))
            try:
                return original(self, hash_key, *args, **kwargs)
            finally:
                _querying.reset(scope)
        return query

    def make_all_items(original: Callable[..., Any]) -> Callable[..., Any]:
        def all_items(self: Any) -> Any:
            scope = _querying.get()
            if scope is None or scope[0] is not self:
                return original(self)
            _, hash_key, on_index = scope
            if on_index:  # moto sorts the matches by every key of the index and the table anyway
                if self.range_key_attr:
                    return [item for partition in self.items.values() for item in partition.values()]
                return list(self.items.values())
            partition = self.items.get(hash_key)  # moto sorts the matches by range key anyway
            if partition is None:
                return []
            return list(partition.values()) if self.range_key_attr else [partition]
        return all_items

    _wrap(Table, "query", make_query)
    _wrap(Table, "all_items", make_all_items)


ITEM_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan"})


def answer_item_reads_as_json() -> None:
    from moto.dynamodb.responses import DynamoHandler, DynamoResult

    def plain(value: Any) -> Any:
        if isinstance(value, bytes):
            return base64.b64encode(value).decode("ascii")
        raise TypeError(f"{type(value).__name__} is not an item read's value")

    def capacity(value: Any) -> Any:
        """Capacity units are doubles in the service model: moto counts some (BatchGetItem's) as ints."""
        if isinstance(value, dict):
            return {name: capacity(inner) for name, inner in value.items()}
        if isinstance(value, list):
            return [capacity(inner) for inner in value]
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def serialized(self: Any, action_result: Any) -> Any:
            result = action_result.result
            if type(action_result) is not DynamoResult or self._get_action() not in ITEM_READS \
                    or not isinstance(result, dict):
                return original(self, action_result)
            if "ConsumedCapacity" in result:
                result = {**result, "ConsumedCapacity": capacity(result["ConsumedCapacity"])}
            try:
                body = json.dumps(result, default=plain, separators=(",", ":"))
            except TypeError:
                return original(self, action_result)
            headers = {"Content-Type": "application/x-amz-json-1.0", **self.response_headers}
            return 200, headers, body
        return serialized

    _wrap(DynamoHandler, "serialized", make)


def list_moto_modules_once() -> None:
    import moto.backends

    if getattr(moto.backends.list_of_moto_modules, _PATCHED, False):
        return
    modules = tuple(moto.backends.list_of_moto_modules())

    def list_of_moto_modules() -> tuple[str, ...]:
        return modules

    setattr(list_of_moto_modules, _PATCHED, True)
    moto.backends.list_of_moto_modules = list_of_moto_modules


def raise_listen_backlog() -> None:
    from chalice.local import ThreadedHTTPServer

    ThreadedHTTPServer.request_queue_size = max(ThreadedHTTPServer.request_queue_size, LISTEN_BACKLOG)
