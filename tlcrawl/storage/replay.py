"""Replay a dead-letter file into MongoDB: `python -m tlcrawl.storage.replay FILE [--uri --db]`.

The documents go through the same idempotent upserts as a crawl, so replaying twice is harmless.
A document older than what a later crawl stored (by `crawled_at`) is skipped: replaying an old
file never rolls a post back or files its newer version under `history`.
Prints the counts; exits 1 when anything could not be written or read (the file is left as it
is): a line cut short by a crash is named and skipped, every whole line is still replayed.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from pymongo.database import Database
from pymongo.errors import PyMongoError

from tlcrawl import defaults
from tlcrawl.storage.client import mask_uri, open_client
from tlcrawl.storage.deadletter import DeadLetterFile, read_dead_letters
from tlcrawl.storage.documents import Batch, Document, add_to_batch
from tlcrawl.storage.schema import TOMBSTONES, collection_of, ensure_indexes
from tlcrawl.storage.writer import FlushResult, write_batch

BATCH_SIZE = defaults.MONGODB_BATCH_SIZE


def batches(
    entries: Iterable[tuple[str, Document]], size: int = BATCH_SIZE
) -> Iterator[tuple[Batch, int]]:
    """(batch, lines in it): merges repeats of an _id within a batch, in file order."""
    entries = iter(entries)
    while chunk := list(islice(entries, size)):
        batch: Batch = {}
        for collection, doc in chunk:
            add_to_batch(batch, collection, doc)
        yield batch, len(chunk)


def drop_superseded(db: Database, batch: Batch) -> int:
    """Remove from `batch` the documents whose stored copy was crawled later; return how many.

    A tombstone is dated by when its crawl found the post gone: a post stored live after that
    was seen again, and the tombstone would wrongly bury it.
    """
    dropped = 0
    for collection, docs in list(batch.items()):
        written = "deleted_at" if collection == TOMBSTONES else "crawled_at"
        dated = {_id: doc[written] for _id, doc in docs.items() if doc.get(written)}
        if not dated:
            continue
        stored = db[collection_of(collection)].find(
            {"_id": {"$in": list(dated)}}, {"crawled_at": 1}
        )
        for doc in stored:
            if doc.get("crawled_at") and doc["crawled_at"] > dated[doc["_id"]]:
                del docs[doc["_id"]]
                dropped += 1
        if not docs:
            del batch[collection]  # nothing left to write there
    return dropped


@dataclass
class Replayed:
    read: int = 0  # documents read from the file
    superseded: int = 0  # skipped: a later crawl stored them
    counts: FlushResult = field(default_factory=FlushResult)
    unreadable: list[int] = field(default_factory=list)  # line numbers, skipped


def replay(path: Path, uri: str, database: str) -> Replayed:
    """Write the file's documents (those of its readable lines)."""
    client = open_client(uri)
    # Documents the server rejects again are collected next to the file, not lost.
    rejected = DeadLetterFile(path.with_name(path.stem + ".rejected.jsonl"))
    done = Replayed()
    try:
        db = client[database]
        ensure_indexes(db)
        tainted: set[int] = set()  # threads whose posts are rejected again stay not complete
        for batch, lines in batches(read_dead_letters(path, done.unreadable)):
            done.read += lines
            done.superseded += drop_superseded(db, batch)
            write_batch(db, batch, done.counts, rejected, tainted)
    finally:
        client.close()
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tlcrawl.storage.replay", description=__doc__)
    parser.add_argument("file", type=Path, help="a dead-letter .jsonl file")
    parser.add_argument("--uri", default=os.environ.get("MONGODB_URI", defaults.MONGODB_URI))
    database = os.environ.get("MONGODB_DATABASE", defaults.MONGODB_DATABASE)
    parser.add_argument("--db", default=database)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:
        done = replay(args.file, args.uri, args.db)
    except (OSError, ValueError, PyMongoError) as exc:
        print(f"replay into {mask_uri(args.uri)} failed: {exc}", file=sys.stderr)
        return 1
    counts = done.counts
    print(
        f"read {done.read}, upserted {counts.upserted}, modified {counts.modified}, "
        f"skipped {done.superseded} (a later crawl stored them), rejected {counts.dead_letter}"
    )
    if done.unreadable:
        more = " …" if len(done.unreadable) > 10 else ""
        lines = ", ".join(map(str, done.unreadable[:10])) + more
        print(
            f"replay: {len(done.unreadable)} line(s) of {args.file} unreadable, skipped (cut short "
            f"by a crash? their threads stay incomplete for the next crawl): line {lines}",
            file=sys.stderr,
        )
    return 1 if counts.dead_letter or done.unreadable else 0


if __name__ == "__main__":
    sys.exit(main())
