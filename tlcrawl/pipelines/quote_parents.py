"""Resolve every quote's parent post and set the post's `reply_to`.

The spider delivers a thread's posts in page order (other threads' items may be interleaved), then
the thread's ThreadItem, which marks the thread complete. So each post is resolved against the
thread's posts seen so far, and a thread's index is freed when its ThreadItem passes: memory stays
bounded by the threads in flight.
"""

from __future__ import annotations

from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from tlcrawl.items import PostItem, ThreadItem
from tlcrawl.quotes.index import QuoteCounts, ThreadIndex


class QuoteParentsPipeline:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.threads: dict[int, ThreadIndex] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.stats)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, PostItem):
            self.resolve(item)
        elif isinstance(item, ThreadItem):
            self.threads.pop(item._id, None)
        return item

    def resolve(self, post: PostItem) -> None:
        index = self.threads.setdefault(post.thread_id, ThreadIndex())
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
        for name in ("seen", "resolved", "unresolved", "ambiguous"):
            if value := getattr(counts, name):
                self.stats.inc_value(f"quotes/{name}", value)
