"""Helpers shared by the test modules (fixtures live in conftest.py, crawls in tests/crawling.py).

- `replica_truth`: the replica's ground truth, from its own command line (independent of tlcrawl).
- `make_post`: a PostItem with every required field, for storage and writer tests; `write`: items
  through one flush of the writer.
- `mongo_outage`: a MongoDB server that goes away mid-crawl and comes back (same port and data).
- `warc_record_ids`: the response records on disk in a WARC directory.
- Replica pages read independently of tlcrawl's parsers (`page_posts`, `rule_text`, `parse_quote`:
  the data contract's text rules re-implemented in plain lxml), and the seed thread's path.
- The seed thread's golden quote parents (tests/files/golden/seed_quotes.json), in the three
  shapes tests compare with: the quote tree, parents depth first, and `reply_to`.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import lxml.html
from twisted.internet import reactor, threads
from twisted.internet.defer import Deferred
from warcio.archiveiterator import ArchiveIterator

from tests.fakeforum import seed
from tests.servers import ROOT, RunningServer, start_mongo
from tlcrawl.items import PostItem
from tlcrawl.parsing.post_body import content_hash
from tlcrawl.storage.deadletter import DeadLetterFile
from tlcrawl.storage.documents import add_to_batch, item_to_document
from tlcrawl.storage.writer import FlushResult, write_batch

GOLDEN = Path(__file__).parent / "files" / "golden"
T0 = datetime(2023, 12, 6, 2, 50, tzinfo=UTC)  # when make_post's posts start
# The base URL of truth documents built without a server (nothing listens there).
TRUTH_BASE = "http://127.0.0.1:9"
# The seed thread (../shared/seeds/) on the replica.
SEED_PATH = f"/forum/games/{seed.TOPIC_ID}-{seed.SLUG}"
BLOCKS = {"br", "p", "div", "li", "ul", "ol", "blockquote", "hr", "tr", "table", "center", "pre",
          "section", "article", "h1", "h2", "h3", "h4", "h5", "h6"}  # fmt: skip
QUOTE_HEADER = re.compile(r"^On (\w+ \d\d \d{4} \d\d:\d\d) (.+) wrote:$")

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


# --- replica pages read independently of tlcrawl ----------------------------------------------


def of_type(docs, kind):
    return [d for d in docs if d["type"] == kind]


def body_of(forum, path) -> str:
    status, _, body = forum.render(path)
    assert status == 200, path
    return body.decode("utf-8")


def has_class(el, name) -> bool:
    return name in (el.get("class") or "").split()


def removed(el) -> bool:
    """Elements the text rules drop: quotes, media, scripts and the two kinds of toggles."""
    if not isinstance(el.tag, str) or el.tag in ("script", "style", "img", "iframe"):
        return True
    toggle = (el.get("id") or "").startswith("showQuoteLink")
    spoiler = "toggleShowSpoiler" in (el.get("onclick") or "")
    return (el.tag == "div" and has_class(el, "quote")) or (el.tag == "a" and (toggle or spoiler))


def tokens(el, skip):
    """Text pieces and None (a line break) for el's content; `skip(child)` removes a child."""
    if el.text:
        yield el.text
    for child in el:
        if not skip(child):
            block = child.tag in BLOCKS
            if block:
                yield None
            yield from tokens(child, skip)
            if block:
                yield None
        if child.tail:
            yield child.tail


def join_lines(pieces) -> str:
    lines, current = [], []
    for piece in [*pieces, None]:
        if piece is None:
            line = re.sub(r"\s+", " ", "".join(current)).strip()
            lines += [line] if line else []
            current = []
        else:
            current.append(piece)
    return "\n".join(lines)


def rule_text(el) -> str:
    return join_lines(tokens(el, lambda c: removed(c)))


def parse_quote(div, depth=1) -> dict:
    """A div.quote as {author, quoted_at, text, quotes, toggled}, read from the HTML."""
    nested = [q for q in div.iter("div") if has_class(q, "quote") and own_quote(q) is div]
    header = [b for b in div.iter("b") if own_quote(b) is div and QUOTE_HEADER.match(b.text or "")]
    author = quoted_at = None
    if header:
        when, author = QUOTE_HEADER.match(header[0].text).groups()
        quoted_at = (datetime.strptime(when, "%B %d %Y %H:%M") - timedelta(hours=9)).isoformat()

    def skip(c):
        return removed(c) or (header and c is header[0])

    toggle = [a for a in div.iter("a") if (a.get("id") or "").startswith("showQuoteLink")]
    return {
        "author": author,
        "quoted_at": quoted_at and quoted_at + "+00:00",
        "text": join_lines(tokens(div, skip)),
        "quotes": [parse_quote(q, depth + 1) for q in nested],
        "toggled": bool(toggle) and own_quote(toggle[0]) is div,
    }


def own_quote(el):
    """The nearest div.quote ancestor of el (excluding el itself)."""
    parent = el.getparent()
    while parent is not None and not (parent.tag == "div" and has_class(parent, "quote")):
        parent = parent.getparent()
    return parent


def strip_truth_quote(q) -> dict:
    return {
        "author": q["author"],
        "quoted_at": q["quoted_at"],
        "text": q["text"],
        "quotes": [strip_truth_quote(n) for n in q["quotes"]],
    }


def page_posts(html: str):
    """(number, post id, body section) per post, pairing each header with the next article."""
    tree = lxml.html.fromstring(html)
    main = tree.get_element_by_id("main-content")
    posts, pending = [], None
    for el in main.iter("header", "article"):
        if el.tag == "header":
            link = el.cssselect("a.submessage")[0]
            number = el.xpath("string(.//a[starts-with(., '#')])")
            pending = (int(number[1:]), int(link.get("href").split("=")[1]))
        elif has_class(el, "forumPost"):
            posts.append((*pending, el.find("section")))
    return posts
