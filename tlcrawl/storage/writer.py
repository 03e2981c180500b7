"""A bulk writer: buffers upserts, flushes them in batches on one worker thread, never loses them.

The buffer lives on the event loop's thread (`add` is a dict update, cheap enough for
`process_item`); every blocking pymongo call runs on a single dedicated worker thread, which also
keeps flushes in order. A flush that fails on a transient error (server down, reconnecting, timed
out) is retried with exponential backoff within `retry_seconds`; what still cannot be written goes
to the dead-letter file, is counted (`mongodb/dead_letter`) and logged. After a flush has run out of
retries the next ones try once each, so a dead server does not stall the crawl; the first success
restores full retries.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pymongo
from bson.errors import InvalidDocument
from pymongo.database import Database
from pymongo.errors import BulkWriteError, ConnectionFailure, PyMongoError

from tlcrawl import defaults
from tlcrawl.counts import StatCounts, Stats
from tlcrawl.storage.deadletter import DeadLetterFile
from tlcrawl.storage.documents import Batch, Document, add_to_batch, fit_document, to_update
from tlcrawl.storage.schema import (
    FORUMS,
    POSTS,
    THREADS,
    TOMBSTONES,
    USERS,
    WRITE_ORDER,
    collection_of,
    ensure_indexes,
)

logger = logging.getLogger(__name__)

# In a set of tainted thread ids: a user document was lost, so no thread may be marked stored.
EVERY_THREAD = -1

MAX_IN_FLIGHT = 2  # queued flushes beyond this make `wait_for_capacity` wait (backpressure)
FIRST_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 15.0


@dataclass
class FlushResult(StatCounts):
    """What a flush did to MongoDB, recorded as the crawl's mongodb/* stats."""

    PREFIX = "mongodb"

    upserted: int = 0
    modified: int = 0
    history_appended: int = 0
    retries: int = 0
    dead_letter: int = 0
    oversized: int = 0  # posts stored without their html (too large for one document)
    held_back: int = 0  # thread documents not marked stored because their posts were lost

    def record(self, stats: Stats) -> None:
        stats.inc_value("mongodb/flushes")
        super().record(stats)


def is_transient(exc: PyMongoError) -> bool:
    """Errors worth retrying: the server is unreachable, restarting or slow."""
    return (
        isinstance(exc, ConnectionFailure)
        or exc.timeout
        or exc.has_error_label("RetryableWriteError")
    )


def write_batch(
    db: Database, batch: Batch, result: FlushResult, dead: DeadLetterFile, tainted: set[int]
) -> None:
    """One attempt at writing `batch`, in WRITE_ORDER; what is written leaves `batch` (retries).

    Documents the server rejects one by one are not retryable: they go to the dead-letter file
    straight away, and the threads they belong to join `tainted`, whose thread documents are from
    then on written not complete and without advancing their checkpoint.
    """
    for kind in [kind for kind in WRITE_ORDER if kind in batch]:
        docs = list(batch[kind].values())
        if kind == POSTS:
            result.oversized += sum(fit_document(doc) for doc in docs)
        elif kind == THREADS:
            result.held_back += hold_back(docs, tainted)
        elif kind == FORUMS and tainted:  # a thread is stored incomplete: no forum is synced
            for doc in docs:
                doc.pop("synced_at", None)
        changed = count_changed_posts(db, docs) if kind == POSTS else 0
        upserted, modified = write_documents(db, kind, docs, result, dead, tainted)
        result.upserted += upserted
        result.modified += modified
        result.history_appended += changed
        del batch[kind]


def write_documents(
    db: Database,
    kind: str,
    docs: list[Document],
    result: FlushResult,
    dead: DeadLetterFile,
    tainted: set[int],
) -> tuple[int, int]:
    """One unordered bulk write; (upserted, modified). A document the server or the driver refuses
    goes to the dead letters alone: the others of its batch are still written."""
    ops = [to_update(kind, doc) for doc in docs]
    try:
        written = db[collection_of(kind)].bulk_write(ops, ordered=False).bulk_api_result
    except BulkWriteError as exc:
        written = exc.details
        errors = written["writeErrors"]
        for error in errors:
            _lose(kind, [docs[error["index"]]], error.get("errmsg", ""), result, dead, tainted)
    except InvalidDocument as exc:  # e.g. too large: the driver refuses the whole bulk unsent
        if len(docs) == 1:
            _lose(kind, docs, repr(exc), result, dead, tainted)
            return 0, 0
        counts = [write_documents(db, kind, [doc], result, dead, tainted) for doc in docs]
        return sum(c[0] for c in counts), sum(c[1] for c in counts)
    return written["nUpserted"], written["nModified"]


def _lose(
    kind: str,
    docs: list[Document],
    why: str,
    result: FlushResult,
    dead: DeadLetterFile,
    tainted: set[int],
) -> None:
    dead.append(kind, docs, why)
    result.dead_letter += len(docs)
    taint(kind, docs, tainted)
    _log_dead(len(docs), kind, f"rejected ({why[:200]})", dead)


def taint(kind: str, lost: list[Document], tainted: set[int]) -> None:
    """Remember the threads whose stored state `lost` documents would make a lie."""
    if kind in (POSTS, TOMBSTONES):
        tainted.update(doc["thread_id"] for doc in lost if "thread_id" in doc)
    elif kind == USERS and lost:
        tainted.add(EVERY_THREAD)


def hold_back(thread_docs: list[Document], tainted: set[int]) -> int:
    """Write tainted threads as not complete and keep their stored checkpoint; return how many."""
    held = 0
    for doc in thread_docs:
        if EVERY_THREAD in tainted or doc["_id"] in tainted:
            doc["complete"] = False
            doc["pages_stored"] = None  # null fields are not $set: the stored value stays
            held += 1
    return held


def count_changed_posts(db: Database, docs: list[Document]) -> int:
    """How many of these posts are stored with another content hash (i.e. get a history entry).

    Only for the `mongodb/history_appended` stat: the update itself decides on the server.
    """
    new_hashes = {doc["_id"]: doc["content_hash"] for doc in docs}
    stored = db[POSTS].find({"_id": {"$in": list(new_hashes)}}, {"content_hash": 1})
    old_hashes = [(doc["_id"], doc.get("content_hash")) for doc in stored]
    return sum(1 for _id, old in old_hashes if isinstance(old, str) and old != new_hashes[_id])


def _log_dead(count: int, collection: str, reason: str, dead: DeadLetterFile) -> None:
    if count:
        logger.error(
            "%d %s document(s) %s; saved to %s (replay: python -m tlcrawl.storage.replay %s)",
            *(count, collection, reason, dead.path, dead.path),
        )


class BulkWriter:
    """Buffers documents per collection and writes them with unordered bulk upserts.

    Use from a running asyncio event loop (Scrapy's asyncio reactor): `start()`, `add()` per
    document, `await close()` at the end.
    """

    def __init__(
        self,
        db: Database,
        dead_letter: DeadLetterFile,
        stats: Stats,
        *,
        batch_size: int = defaults.MONGODB_BATCH_SIZE,
        flush_seconds: float = defaults.MONGODB_FLUSH_SECONDS,
        retry_seconds: float = defaults.MONGODB_RETRY_SECONDS,
        before_write: Callable[[], Callable[[], None] | None] | None = None,
    ) -> None:
        self.db = db
        # Called on the event loop as each batch is handed over; what it returns runs on the
        # worker thread before the batch is written (the wait for its raw pages: tlcrawl.warc).
        self.before_write = before_write
        self.dead_letter = dead_letter
        self.stats = stats
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.retry_seconds = retry_seconds
        self._buffer: Batch = {}
        self._size = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mongodb-writer")
        self._in_flight: deque[asyncio.Future] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Worker-thread state.
        self._indexes_pending = True
        self._failing = False
        self._tainted: set[int] = set()  # threads whose posts were dead-lettered

    async def start(self) -> None:
        """Start the flush timer and create the indexes (later, if the server is down now)."""
        self._loop = asyncio.get_running_loop()
        self._schedule_timer()
        await self._loop.run_in_executor(self._executor, self._ensure_indexes_at_start)

    def add(self, collection: str, doc: Document) -> None:
        if add_to_batch(self._buffer, collection, doc):
            self._size += 1
        if self._size >= self.batch_size:
            self.flush()

    async def wait_for_capacity(self) -> None:
        """Wait while more flushes are queued than the server keeps up with."""
        while len(self._in_flight) > MAX_IN_FLIGHT:
            await asyncio.wait([self._in_flight[0]])

    def flush(self) -> asyncio.Future | None:
        """Hand the buffer to the worker thread; None when there is nothing to write."""
        if not self._size:
            return None
        assert self._loop is not None, "start() first"
        batch, self._buffer, self._size = self._buffer, {}, 0
        first = self.before_write() if self.before_write else None
        future = self._loop.run_in_executor(self._executor, self._write_with_retry, batch, first)
        self._in_flight.append(future)
        future.add_done_callback(self._flushed)
        return future

    async def close(self) -> None:
        """Flush what is buffered and wait until every flush has finished."""
        if self._timer is not None:
            self._timer.cancel()
        self.flush()
        while self._in_flight:
            await asyncio.wait(list(self._in_flight))
        self._executor.shutdown(wait=True)

    def _schedule_timer(self) -> None:
        assert self._loop is not None
        self._timer = self._loop.call_later(self.flush_seconds, self._on_timer)

    def _on_timer(self) -> None:
        self.flush()
        self._schedule_timer()

    def _flushed(self, future: asyncio.Future) -> None:
        self._in_flight.remove(future)
        if future.cancelled():
            return
        if future.exception() is not None:  # a bug: _write_with_retry handles every error
            logger.error("MongoDB flush crashed", exc_info=future.exception())
            return
        future.result().record(self.stats)

    # --- worker thread ----------------------------------------------------------------------

    def _ensure_indexes_at_start(self) -> None:
        try:
            self._ping(self._attempt_seconds(0))  # fail fast when the server is down
        except PyMongoError as exc:
            if not is_transient(exc):
                raise
            logger.warning("MongoDB unreachable, indexes will be created later: %s", exc)
            return
        self._ensure_indexes()

    def _ensure_indexes(self) -> None:
        # No timeout: building an index on a large collection may take a while.
        ensure_indexes(self.db)
        self._indexes_pending = False

    def _ping(self, seconds: float) -> None:
        with pymongo.timeout(seconds):
            self.db.command("ping")

    def _attempt_seconds(self, remaining: float) -> float:
        """Time for one attempt: what is left of the retry budget (yet never nothing), at most
        the client's serverSelectionTimeoutMS (30 s unless the URI says otherwise), so an outage
        shows up as logged retries rather than one long silent wait."""
        selection = self.db.client.options.server_selection_timeout
        return min(selection, max(remaining, min(self.retry_seconds, 10.0)))

    def _write_with_retry(
        self, batch: Batch, first: Callable[[], None] | None = None
    ) -> FlushResult:
        if first is not None:
            try:
                first()
            except Exception:  # a bug in the wait must not cost the batch
                logger.exception("Waiting before a MongoDB write failed; writing anyway")
        result = FlushResult()
        deadline = time.monotonic() + (0 if self._failing else self.retry_seconds)
        delay = FIRST_RETRY_DELAY
        while True:
            remaining = deadline - time.monotonic()
            try:
                self._attempt(batch, result, remaining)
                self._failing = False
                return result
            except PyMongoError as exc:
                if not is_transient(exc) or remaining < delay:
                    return self._give_up(batch, result, exc)
                result.retries += 1
                logger.warning("MongoDB write failed, retry in %.1f s: %s", delay, exc)
                time.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_DELAY)
            except Exception as exc:  # anything else (a bug, bad data): still keep the documents
                return self._give_up(batch, result, exc)

    def _attempt(self, batch: Batch, result: FlushResult, remaining: float) -> None:
        if self._indexes_pending:  # the server was down at start
            self._ping(self._attempt_seconds(remaining))
            self._ensure_indexes()
        with pymongo.timeout(self._attempt_seconds(remaining)):
            write_batch(self.db, batch, result, self.dead_letter, self._tainted)

    def _give_up(self, batch: Batch, result: FlushResult, error: Exception) -> FlushResult:
        self._failing = isinstance(error, PyMongoError) and is_transient(error)
        for kind in [kind for kind in WRITE_ORDER if kind in batch]:
            docs = list(batch[kind].values())
            taint(kind, docs, self._tainted)
            result.dead_letter += self.dead_letter.append(kind, docs, repr(error))
            _log_dead(len(docs), kind, f"could not be written ({error})", self.dead_letter)
        return result
