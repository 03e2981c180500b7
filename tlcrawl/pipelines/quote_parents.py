"""Resolve every quote's parent post and set the post's `reply_to`.

The spider delivers a thread's posts in page order (ReleaseOrderPipeline keeps that order), then
the thread's ThreadItem, which frees the thread's index (every item of a thread waiting on archive
lookups keeps its place behind them): memory stays bounded by the threads in
flight. Each post is resolved against the thread's posts seen so far in this crawl. When the crawl
picked the thread up in the middle (a refresh or a resume: its first post here is not #1), a quote
whose parent is not among them is resolved against the posts the archive holds for the thread,
with the same rules: an indexed lookup by thread, author and minute, and for a quote without a
header, the text of a bounded number of posts just before it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self

from pymongo.errors import PyMongoError
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from tlcrawl import defaults
from tlcrawl.items import PostItem, ThreadItem, stamp_of, walk_quotes
from tlcrawl.quotes.index import QuoteCounts, ThreadIndex
from tlcrawl.quotes.resolve import minute, normalize_author
from tlcrawl.storage import archive
from tlcrawl.storage.client import open_client

logger = logging.getLogger(__name__)

# Stored posts just before a header-less quote that its text is compared with, when the thread
# was picked up mid-way (a crawl that reads the whole thread compares with every earlier post).
# 250 pages: a resumed or refreshed thread resolves like a whole one unless the quoted post is
# further back (500 left a quote of a post 700 back unresolved after a resume); one query.
ARCHIVE_TEXT_CANDIDATES = 5_000


@dataclass
class _Thread:
    index: ThreadIndex = field(default_factory=ThreadIndex)
    from_archive: bool = False  # picked up mid-thread: earlier posts are in the archive only
    headers_loaded: set[tuple[str, datetime]] = field(default_factory=set)
    text_loaded_before: int | None = None  # header-less candidates loaded below this number
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class QuoteParentsPipeline:
    def __init__(
        self, stats: StatsCollector, uri: str = "", database: str = defaults.MONGODB_DATABASE
    ) -> None:
        self.stats = stats
        self.uri, self.database = uri, database
        self.archive_db = None
        self.threads: dict[int, _Thread] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        return cls(
            crawler.stats,
            settings.get("MONGODB_URI") or "",
            settings.get("MONGODB_DATABASE") or defaults.MONGODB_DATABASE,
        )

    def open_spider(self, spider: Any = None) -> None:
        if self.uri:
            self.archive_db = open_client(self.uri)[self.database]

    def close_spider(self, spider: Any = None) -> None:
        if self.archive_db is not None:
            self.archive_db.client.close()

    def process_item(self, item: Any, spider: Any = None) -> Any:
        """The item, resolved; or, for a thread picked up mid-way, an awaitable of it (Scrapy
        awaits either): most posts need no archive lookup and cost no coroutine."""
        if isinstance(item, PostItem):
            thread = self.threads.get(item.thread_id)
            if thread is None:
                from_archive = item.number != 1 and self.archive_db is not None
                thread = self.threads[item.thread_id] = _Thread(from_archive=from_archive)
            if thread.from_archive:
                return self._resolve_with_archive(thread, item)
            self.resolve(thread.index, item)
            return item
        release = stamp_of(item)
        thread = self.threads.get(release.thread_id) if release is not None else None
        if thread is not None and thread.from_archive:
            # Behind the thread's posts, which may be waiting on lookups: a checkpoint or a
            # complete ThreadItem stored before its posts would lose them to a kill -9.
            return self._in_turn(thread, item)
        self._forget_finished(item)
        return item

    async def _resolve_with_archive(self, thread: _Thread, post: PostItem) -> PostItem:
        async with thread.lock:  # archive lookups wait: keep the thread's order
            await self._load_candidates(thread, post)
            self.resolve(thread.index, post)
        return post

    async def _in_turn(self, thread: _Thread, item: Any) -> Any:
        async with thread.lock:  # taken in arrival order: the posts before it go first
            self._forget_finished(item)
        return item

    def _forget_finished(self, item: Any) -> None:
        if isinstance(item, ThreadItem):
            self.threads.pop(item._id, None)

    def resolve(self, index: ThreadIndex, post: PostItem) -> None:
        counts = QuoteCounts()
        post.reply_to = index.resolve_tree(post.quotes, post.number, counts)
        index.add(
            post._id,
            post.author,
            post.posted_at,
            post.number,
            post.text,
            post.edited_at is not None,
        )
        counts.record(self.stats)

    async def _load_candidates(self, thread: _Thread, post: PostItem) -> None:
        """Add to the index the stored posts this post's quotes may quote (once each)."""
        try:
            for quote in walk_quotes(post.quotes):
                author, quoted_at = quote.get("author"), quote.get("quoted_at")
                if author is None or quoted_at is None:
                    await self._load_before(thread, post)
                    continue
                header = (normalize_author(author), minute(quoted_at))
                if header not in thread.headers_loaded:
                    thread.headers_loaded.add(header)
                    found = await asyncio.to_thread(
                        archive.posts_in_minute, self.archive_db, post.thread_id, *header
                    )
                    self._add_stored(thread, found)
        except PyMongoError as error:  # resolve with what we have; a later crawl can do better
            self.stats.inc_value("quotes/archive_unavailable")
            logger.warning("Archive lookup for the quotes of %s failed: %s", post.url, error)

    async def _load_before(self, thread: _Thread, post: PostItem) -> None:
        if thread.text_loaded_before is not None:
            return
        thread.text_loaded_before = post.number
        found = await asyncio.to_thread(
            archive.posts_before,
            self.archive_db,
            post.thread_id,
            post.number,
            ARCHIVE_TEXT_CANDIDATES,
        )
        self._add_stored(thread, found)

    def _add_stored(self, thread: _Thread, posts: list[archive.StoredPost]) -> None:
        self.stats.inc_value("quotes/archive_candidates", len(posts))
        for stored in posts:
            thread.index.add(
                stored._id,
                stored.author,
                stored.posted_at,
                stored.number,
                stored.text,
                stored.edited,
            )
