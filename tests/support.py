"""Helpers shared by the test modules (fixtures live in conftest.py, crawls in tests/crawling.py).

- `replica_truth`: the replica's ground truth, from its own command line (independent of tlcrawl).
- `make_post`: a PostItem with every required field, for storage and writer tests; `write`: items
  through one flush of the writer.
- `mongo_outage`: a MongoDB server that goes away mid-crawl and comes back (same port and data).
- `warc_record_ids`: the response records on disk in a WARC directory.
- The seed thread's golden quote parents (tests/files/golden/seed_quotes.json), in the three
  shapes tests compare with: the quote tree, parents depth first, and `reply_to`.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from twisted.internet import reactor, threads
from twisted.internet.defer import Deferred
from warcio.archiveiterator import ArchiveIterator

from tests.servers import ROOT, RunningServer, start_mongo
from tlcrawl.items import PostItem
from tlcrawl.parsing.post_body import content_hash
from tlcrawl.storage.deadletter import DeadLetterFile
from tlcrawl.storage.documents import add_to_batch, item_to_document
from tlcrawl.storage.writer import FlushResult, write_batch

GOLDEN = Path(__file__).parent / "files" / "golden"
T0 = datetime(2023, 12, 6, 2, 50, tzinfo=UTC)  # when make_post's posts start

# A quote as (the quoted post's number or None, the quotes nested in it).
QuoteTree = list[tuple[int | None, "QuoteTree"]]


def replica_truth(*options: str, base_url: str) -> list[dict]:
    """The replica's ground truth for these options (`python -m tests.fakeforum truth`).

    A fresh copy each call (tests may change what they get); the replica's output is computed once
    per session for each set of options.
    """
    out = _truth_output(options, base_url)
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@cache
def _truth_output(options: tuple[str, ...], base_url: str) -> str:
    args = [sys.executable, "-m", "tests.fakeforum", "truth", *options, "--base-url", base_url]
    return subprocess.run(args, cwd=ROOT, check=True, capture_output=True, text=True).stdout


def make_post(post_id: int, text: str = "hello", **fields) -> PostItem:
    """A PostItem with every field set (post N is #N%20+1 of thread N//20+1), for storage tests."""
    values = dict(
        _id=post_id,
        thread_id=post_id // 20 + 1,
        forum="games",
        page=1,
        number=post_id % 20 + 1,
        url=f"https://tl.net/forum/viewpost.php?post_id={post_id}",
        author=f"user{post_id % 7}",
        posted_at=T0 + timedelta(minutes=post_id),
        html=f"<p>{text}</p>",
        text=text,
        quotes=[{"author": "x", "quoted_at": T0, "text": "q", "parent_id": 1, "quotes": []}],
        reply_to=[1],
        content_hash=content_hash(text),
        crawled_at=T0,
    )
    values.update(fields)
    return PostItem(**values)


@cache
def seed_quote_tree() -> dict[int, QuoteTree]:
    """Post number -> its quotes as trees, for every seed post with a quote (page 1)."""
    data = json.loads((GOLDEN / "seed_quotes.json").read_text(encoding="utf-8"))

    def tree(quotes: list) -> QuoteTree:
        return [(parent, tree(nested)) for parent, nested in quotes]

    return {int(number): tree(quotes) for number, quotes in data["quotes"].items()}


def seed_quote_parents() -> dict[int, list[int]]:
    """Post number -> the numbers its quotes point at, outermost first, then nested ones."""

    def walk(quotes: QuoteTree) -> list[int | None]:
        return [n for parent, nested in quotes for n in (parent, *walk(nested))]

    tree = seed_quote_tree()
    found = {number: [p for p in walk(quotes) if p is not None] for number, quotes in tree.items()}
    return {number: parents for number, parents in found.items() if parents}


def seed_reply_to() -> dict[int, list[int]]:
    """Post number -> the posts it replies to: its outermost quotes' parents, once each."""
    direct = {
        number: list(dict.fromkeys(parent for parent, _ in quotes if parent is not None))
        for number, quotes in seed_quote_tree().items()
    }
    return {number: parents for number, parents in direct.items() if parents}


class MongoOutage:
    """A MongoDB server stopped `after` seconds in and started again (same port, same data)
    `downtime` seconds later. `url` is its address; `await back()` the restarted server."""

    def __init__(self, directory: Path, after: float, downtime: float):
        self.storage, self.log = directory / "db", directory / "mongo.log"
        self.server = start_mongo(self.storage, self.log)
        self.url = self.server.url
        self.restarted: RunningServer | None = None
        self._back: Deferred = Deferred()
        reactor.callLater(after, self._stop, downtime)

    def _stop(self, downtime: float) -> None:
        self.server.stop()
        reactor.callLater(downtime, self._restart)

    def _restart(self) -> None:
        port = int(self.url.rsplit(":", 1)[1].strip("/"))
        threads.deferToThread(start_mongo, self.storage, self.log, port).chainDeferred(self._back)

    async def back(self) -> RunningServer:
        if self.restarted is None:
            self.restarted = await self._back
        return self.restarted


@contextlib.asynccontextmanager
async def mongo_outage(directory: Path, after: float, downtime: float):
    """A MongoOutage; both servers are stopped at the end, also when the test failed early."""
    outage = MongoOutage(directory, after, downtime)
    try:
        yield outage
    finally:
        outage.server.stop()
        with contextlib.suppress(Exception):  # never leave the restarted server behind
            (await outage.back()).stop()


def write(db, *items, dead: DeadLetterFile | None = None) -> FlushResult:
    """Write `items` as one flush of the writer would; return its FlushResult."""
    batch: dict = {}
    for item in items:
        add_to_batch(batch, *item_to_document(item))
    result = FlushResult()
    unused = DeadLetterFile("/nonexistent/never-written.jsonl")
    write_batch(db, batch, result, dead or unused, set())
    return result


def warc_record_ids(directory: Path) -> set[str]:
    """WARC-Record-ID of every response record in the directory's WARC files, as on disk now."""
    found = set()
    for path in directory.glob("*.warc.gz"):
        with path.open("rb") as stream:
            found |= {
                record.rec_headers.get_header("WARC-Record-ID")
                for record in ArchiveIterator(stream)
                if record.rec_type == "response"
            }
    return found
