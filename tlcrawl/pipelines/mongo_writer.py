"""Item pipeline that archives every item into MongoDB through the bulk writer.

Settings (defaults in tlcrawl/defaults.py):
- MONGODB_URI: empty or unset switches the pipeline off (NotConfigured), feeds still work.
- MONGODB_DATABASE
- MONGODB_BATCH_SIZE: documents per bulk write.
- MONGODB_FLUSH_SECONDS: the longest a document waits in the buffer.
- MONGODB_RETRY_SECONDS: how long a failed flush is retried before going to the dead letters.
- MONGODB_DEAD_LETTER_PATH: `{spider}` and `{timestamp}` are filled in; the file is only created
  when something fails.

With WARC capture on, each batch waits until the raw pages captured before it are on disk (see
tlcrawl.warc): a stored document's `source` always names a record that exists.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from tlcrawl import defaults
from tlcrawl.items import ForumItem, ThreadItem, sync_after_of
from tlcrawl.storage.client import mask_uri, open_client
from tlcrawl.storage.deadletter import DeadLetterFile
from tlcrawl.storage.documents import item_to_document
from tlcrawl.storage.writer import BulkWriter
from tlcrawl.warc import RAW_PAGES_DURABLE

logger = logging.getLogger(__name__)

# A WARC writer this far behind is stuck rather than slow: the batch is stored anyway, loudly.
RAW_PAGES_WAIT_SECONDS = 300


class MongoWriterPipeline:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.uri: str = settings.get("MONGODB_URI") or ""
        if not self.uri:
            raise NotConfigured("MONGODB_URI is empty: items are not written to MongoDB")
        self.crawler = crawler
        self.database: str = settings.get("MONGODB_DATABASE") or defaults.MONGODB_DATABASE
        self.batch_size = settings.getint("MONGODB_BATCH_SIZE", defaults.MONGODB_BATCH_SIZE)
        self.flush_seconds = settings.getfloat(
            "MONGODB_FLUSH_SECONDS", defaults.MONGODB_FLUSH_SECONDS
        )
        self.retry_seconds = settings.getfloat(
            "MONGODB_RETRY_SECONDS", defaults.MONGODB_RETRY_SECONDS
        )
        self.dead_letter_path: str = settings.get(
            "MONGODB_DEAD_LETTER_PATH", defaults.MONGODB_DEAD_LETTER_PATH
        )
        self.client = None
        self.writer: BulkWriter | None = None
        # Forum sync marks wait here for the complete threads they vouch for (items.sync_after).
        self.threads_arrived: Counter[str] = Counter()  # complete ThreadItems per forum
        self.held_syncs: dict[str, tuple[ForumItem, int]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MongoWriterPipeline:
        return cls(crawler)

    async def open_spider(self) -> None:
        logger.info("Writing items to MongoDB %s, database %r", mask_uri(self.uri), self.database)
        self.client = open_client(self.uri)
        self.writer = BulkWriter(
            self.client[self.database],
            DeadLetterFile(self._dead_letter_file()),
            self.crawler.stats,
            batch_size=self.batch_size,
            flush_seconds=self.flush_seconds,
            retry_seconds=self.retry_seconds,
            before_write=self._raw_pages_written,
        )
        await self.writer.start()

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        if "crawled_at" in adapter.field_names() and adapter.get("crawled_at") is None:
            adapter["crawled_at"] = datetime.now(UTC)
        assert self.writer is not None
        if not self._hold_sync(item):
            self.writer.add(*item_to_document(item))
        if isinstance(item, ThreadItem) and item.complete:
            self._thread_arrived(item.forum)
        await self.writer.wait_for_capacity()
        return item

    def _raw_pages_written(self) -> Callable[[], None] | None:
        """As a batch is handed over: the wait, on the writer's thread, for the raw pages captured
        so far (those its documents name among them) to be on disk. None without capture."""
        answers = self.crawler.signals.send_catch_log(signal=RAW_PAGES_DURABLE)
        waits = [wait for _, wait in answers if callable(wait)]
        if not waits:
            return None

        def wait_for_pages() -> None:
            for wait in waits:
                if not wait(RAW_PAGES_WAIT_SECONDS):
                    logger.error(
                        "Raw pages not on disk after %g s: storing documents that name them",
                        RAW_PAGES_WAIT_SECONDS,
                    )

        return wait_for_pages

    def _hold_sync(self, item: Any) -> bool:
        """Keep a forum's sync mark back until its threads are here: the writer stores documents
        in the order they arrive, so the mark can never be stored before them."""
        needed = sync_after_of(item)
        if needed is None or self.threads_arrived[item._id] >= needed:
            return False
        self.held_syncs[item._id] = (item, needed)
        return True

    def _thread_arrived(self, forum: str) -> None:
        self.threads_arrived[forum] += 1
        held = self.held_syncs.get(forum)
        if held is not None and self.threads_arrived[forum] >= held[1]:
            del self.held_syncs[forum]
            self.writer.add(*item_to_document(held[0]))

    async def close_spider(self) -> None:
        for item, needed in self.held_syncs.values():  # threads lost on the way: no sync mark
            self.crawler.stats.inc_value("forums/sync_withheld")
            logger.warning(
                "Forum %s is not marked synced: %d of its %d threads stored complete reached "
                "storage",
                item._id,
                self.threads_arrived[item._id],
                needed,
            )
            if self.writer is not None:
                self.writer.add(*item_to_document(replace(item, synced_at=None)))
        if self.writer is not None:
            await self.writer.close()
        if self.client is not None:
            self.client.close()

    def _dead_letter_file(self) -> str:
        spider = self.crawler.spider.name if self.crawler.spider else "crawl"
        timestamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        return self.dead_letter_path.format(spider=spider, timestamp=timestamp)
