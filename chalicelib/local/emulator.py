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
    inside this call) and the wrapper snapshots only the items the transaction names, plus each
    stream's length. If moto raises, those items are put back in place and the stream records of
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
    Each ``GetRecords`` call stores a new shard iterator in ``DynamoDBStreamsBackend.shard_iterators``
    forever, so a polling stream reader grows the emulator by one iterator per poll. Only the newest
    ``SHARD_ITERATORS_KEPT`` iterators are kept (AWS expires them after 15 minutes anyway). Safe: a
    reader uses the iterator it was just given.

``list_moto_modules_once``
    To route each request, moto's server lists its own package directory and stats every entry
    (``moto.backends.list_of_moto_modules``, some 200 ``isdir`` calls), while holding the lock that
    all its requests share: the largest single cost left once the patches above were in. The list
    is now read once. Safe: the installed package does not change while the stack runs.

``raise_listen_backlog``
    chalice's local server (``chalice.local.ThreadedHTTPServer``, already a thread per connection)
    listens with ``socketserver``'s backlog of 5, so bursts of more connections were reset. It now
    uses ``LISTEN_BACKLOG`` (the kernel caps it at ``net.core.somaxconn``). Safe: one attribute that
    only the local dev server reads, when it binds.

Measured with 200 forms posted one at a time (``POST /forms/demo``, each one lead, its touches, its
timeline events and a round-robin hand-over) against ``python -m chalicelib.local.stack``, RSS of the
stack process from ``/proc/<pid>/status``, on a 2-core machine:

* before: 1.7 forms/s, RSS 133 MB → 3,985 MB; at 20 client threads, 500s and connection resets.
* after:  see ``tests/e2e/test_local_stack_load.py``, which prints forms/s and RSS for 1,000 forms
  from 20 threads; figures are in the commit message that added this module.
"""

from __future__ import annotations

import contextvars
import copy
import functools
import threading
import types
import warnings
from collections.abc import Callable
from typing import Any

MOTO_VERSION = "5.2.5"
LISTEN_BACKLOG = 1024
SHARD_ITERATORS_KEPT = 1000

_PATCHED = "_leadtrail_emulator_patch"
_installed = False
_install_lock = threading.Lock()
dynamodb_lock = threading.RLock()
"""Held for the whole of every DynamoDB and DynamoDB Streams request the emulator serves."""
_skip_table_copy: contextvars.ContextVar[bool] = contextvars.ContextVar("_skip_table_copy", default=False)


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
            list_moto_modules_once()
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
        self.streams: dict[int, tuple[list[Any], Any, int]] = {}  # id(shard) → (its list, shard, length)
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
                self.streams[id(shard)] = (shard.items, shard, len(shard.items))

    def restore(self) -> None:
        for table, hash_key, range_key, before in reversed(self.items):
            container = table.items if range_key is None else table.items[hash_key]
            key = hash_key if range_key is None else range_key
            if before is None:
                container.pop(key, None)
            else:
                container[key] = before
        for records, shard, length in self.streams.values():
            if shard.items is records:
                del records[length:]


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
        backend_module.copy = _TableKeepingCopy()  # type: ignore[assignment]

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
            try:
                touched = _TouchedItems(self, transact_items)
            except Exception:  # noqa: BLE001 - moto's own path raises the right error for a bad request
                return original(self, transact_items)  # type: ignore[no-any-return]
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
    BaseModel.__new__ = staticmethod(untracked_new)  # type: ignore[assignment]
    reset_model_data()


def bound_shard_iterators() -> None:
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def keeping_newest(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(self, *args, **kwargs)
            iterators = self.shard_iterators
            for stale in list(iterators)[:-SHARD_ITERATORS_KEPT]:
                del iterators[stale]
            return result
        return keeping_newest

    for name in ("get_shard_iterator", "get_records"):
        _wrap(DynamoDBStreamsBackend, name, make)


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
