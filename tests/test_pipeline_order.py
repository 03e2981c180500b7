"""A thread's items keep their order through the pipelines when its posts wait on archive lookups:
nothing that vouches for posts (a checkpoint, the complete ThreadItem) may reach storage first."""

from __future__ import annotations

import asyncio
import time

import pytest_twisted
from scrapy.utils.test import get_crawler
from twisted.internet.defer import Deferred

from tests.support import make_post
from tlcrawl.items import ReleaseStamp, ThreadItem, ThreadProgressItem, UserItem, stamp
from tlcrawl.pipelines.quote_parents import QuoteParentsPipeline
from tlcrawl.pipelines.release_order import ReleaseOrderPipeline
from tlcrawl.storage import archive

HEADERLESS_QUOTE = {
    "author": None, "quoted_at": None, "text": "an earlier post", "parent_id": None,
    "confidence": None, "quotes": [],
}  # fmt: skip


async def _through(stages, item, out: list) -> None:
    """As Scrapy runs an item through the pipelines: each stage's result, awaited if it must be."""
    for stage in stages:
        item = stage.process_item(item)
        if asyncio.iscoroutine(item):
            item = await item
    out.append(item)  # the order in which storage would see them


@pytest_twisted.ensureDeferred
async def test_a_resumed_threads_checkpoint_and_thread_item_wait_for_its_posts_lookups(
    mongo_server, mongo_db_name, monkeypatch
):
    # The archive answers slowly (a loaded database): the thread was resumed at page 2, so its
    # posts' header-less quotes are looked up there.
    posts_before = archive.posts_before
    monkeypatch.setattr(archive, "posts_before", lambda *a: time.sleep(0.3) or posts_before(*a))
    stats = get_crawler().stats
    quotes = QuoteParentsPipeline(stats, mongo_server.url, mongo_db_name)
    quotes.open_spider()
    posts = [
        make_post(1_000_020 + n, f"post {n}", thread_id=7, number=21 + n, page=2,
                  quotes=[HEADERLESS_QUOTE])
        for n in range(2)
    ]  # fmt: skip
    user = UserItem(_id=posts[0].author, profile_url="u")
    progress = ThreadProgressItem(_id=7, pages_stored=2)
    thread = ThreadItem(_id=7, forum="games", title="T", url="u", pages_stored=2)
    items = [posts[0], posts[1], user, progress, thread]
    for position, item in enumerate(items):
        stamp(item, ReleaseStamp(7, position, last=item is thread))
    stages, out = [ReleaseOrderPipeline(), quotes], []
    try:
        tasks = [asyncio.ensure_future(_through(stages, item, out)) for item in items]
        await Deferred.fromFuture(asyncio.ensure_future(asyncio.gather(*tasks)))
    finally:
        quotes.close_spider()
    assert out == items
    assert quotes.threads == {}, "the thread's index is freed by its ThreadItem"
