"""Run the real `threads` spider in-process (pytest-twisted reactor); collect what it yields."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import CrawlerRunner
from scrapy.utils.project import get_project_settings

from tlcrawl.items import (
    COLLECTIONS,
    ForumItem,
    PostDeletedItem,
    PostItem,
    ThreadItem,
    ThreadProgressItem,
    UserItem,
)
from tlcrawl.spiders.threads import ThreadsSpider
from tlcrawl.storage.documents import merge

KINDS = {
    ForumItem: "forum",
    ThreadItem: "thread",
    PostItem: "post",
    UserItem: "user",
    ThreadProgressItem: "thread_progress",
    PostDeletedItem: "post_deleted",
}
# Crawl reports and their history stay out of the checkout, and out of the next test run.
REPORT_DIR = tempfile.mkdtemp(prefix="tlcrawl-test-reports-")
WARC_DIR = tempfile.mkdtemp(prefix="tlcrawl-test-warc-")


@dataclass
class CrawlResult:
    items: list[Any] = field(default_factory=list)
    responses: list[str] = field(default_factory=list)  # URLs, in the order they came
    stats: dict[str, Any] = field(default_factory=dict)
    crawler: Any = None  # to look at the crawl's final settings

    def of(self, kind: str) -> dict[Any, dict]:
        """The items of one kind as dicts keyed by `_id`.

        A user is yielded once per page they posted on, a forum again when synced: their records
        are merged as the MongoDB writer merges them (documents.merge).
        """
        merged: dict[Any, dict] = {}
        for item in self.items:
            if KINDS[type(item)] != kind:
                continue
            record, previous = ItemAdapter(item).asdict(), merged.get(item._id)
            if previous and kind in ("user", "forum"):
                record = merge(COLLECTIONS[type(item)], previous, record)
            merged[item._id] = record
        return merged

    def count(self, kind: str) -> int:
        return sum(1 for item in self.items if KINDS[type(item)] == kind)


# Every test crawl of the local replica (in-process, `scrapy crawl`, Scrapyd) runs with these:
# politeness is for the real site; here AutoThrottle's 5 s start delay and DOWNLOAD_DELAY would
# only make a 2 s crawl take 10-16 s. Nothing the tests assert depends on them.
FAST_LOCAL_CRAWL: dict[str, Any] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,  # as many as CONCURRENT_REQUESTS: one site here
}


def scrapy_args(option: str = "-s", prefix: str = "") -> list[str]:
    """FAST_LOCAL_CRAWL as options: `scrapy crawl` (-s K=V) or Scrapyd (-d setting=K=V)."""
    pairs = [f"{prefix}{key}={value}" for key, value in FAST_LOCAL_CRAWL.items()]
    return [arg for pair in pairs for arg in (option, pair)]


def crawl_settings(**overrides: Any) -> dict[str, Any]:
    settings = get_project_settings()
    settings.setdict(
        {
            **FAST_LOCAL_CRAWL,
            "LOG_LEVEL": "INFO",
            "MONGODB_URI": "",
            "TLCRAWL_REPORT_DIR": REPORT_DIR,
            "TLCRAWL_WARC_DIR": WARC_DIR,
        },
        priority="cmdline",
    )
    settings.setdict(overrides, priority="cmdline")
    return settings


class _Collector:
    # Scrapy keeps signal receivers as weak references: hold the bound method on an object we keep.
    def __init__(self, result: CrawlResult):
        self.result = result

    def item_scraped(self, item, response, spider):
        self.result.items.append(item)

    def response_received(self, response, request, spider):
        self.result.responses.append(response.url)


async def run_crawl(settings_overrides: dict[str, Any] | None = None, **spider_args) -> CrawlResult:
    result = CrawlResult()
    runner = CrawlerRunner(crawl_settings(**(settings_overrides or {})))
    crawler = runner.create_crawler(ThreadsSpider)
    collector = _Collector(result)
    crawler.signals.connect(collector.item_scraped, signal=signals.item_scraped)
    crawler.signals.connect(collector.response_received, signal=signals.response_received)
    await runner.crawl(crawler, **spider_args)
    result.stats = crawler.stats.get_stats()
    result.crawler = crawler
    return result
