"""Re-parse: run the `threads` spider against WARC files instead of the network.

The crawl is the ordinary one (same spider callbacks, same item pipelines, same MongoDB writer);
only the downloads differ. `WarcDownloadHandler` replaces every network scheme, so no request can
leave the machine: each is answered with the newest capture of its URL, or fails if there is none.

What is requested follows what was captured:
- the spider starts from the captured forum list, limited to the subforums whose index pages were
  captured (a crawl run with `forums=` re-parses as that crawl);
- requests for pages the capture never went to (index pages past a crawl's limit, threads it never
  fetched) are dropped and counted (`reparse/not_captured_skipped`), not failed;
- a thread page missing while other pages of its thread were captured is a failure
  (`reparse/missing_pages`), as it would have been in the crawl;
- when the spider runs out of work, every captured thread not reached from an index page (a
  `thread_url` crawl, another tool's capture) is started from its first page.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import Request, signals
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.responsetypes import responsetypes
from scrapy.utils.asyncio import run_in_thread
from twisted.internet import task

from tlcrawl.parsing import urls
from tlcrawl.warc import SOURCE_META
from tlcrawl.warc.store import WarcStore

logger = logging.getLogger(__name__)

# The CapturedSite being re-parsed (an object: the crawl runs in the same process).
SITE_SETTING = "TLCRAWL_REPARSE_SITE"
PROGRESS_SECONDS = 10.0


def _thread_id(url: str) -> int | None:
    ref = urls.parse_thread_url(url)
    return ref.thread_id if ref is not None and ref.forum else None


class CapturedSite:
    """What the store holds, in the forum's terms: forum list, index pages, threads."""

    def __init__(self, store: WarcStore):
        self.store = store
        self.forum_list: str | None = None
        self.forums: set[str] = set()
        self.threads: dict[int, tuple[int, str]] = {}  # thread id -> (lowest page, its URL)
        self.threads_requested: set[int] = set()  # filled during the re-parse
        for url in store.urls():
            self._classify(url)

    def __deepcopy__(self, memo) -> CapturedSite:
        return self  # held in the crawl's settings, which Scrapy deep-copies

    def _classify(self, url: str) -> None:
        ref = urls.parse_thread_url(url)
        if ref is not None and ref.forum and ref.thread_id:
            page = ref.page
            known = self.threads.get(ref.thread_id)
            if known is None or page < known[0]:
                self.threads[ref.thread_id] = (page, url)
            return
        forum = urls.parse_forum_url(url)
        if forum is not None:
            self.forums.add(forum[0])
        elif urls.is_forum_list(url) and self.forum_list is None:
            self.forum_list = url

    @property
    def base_url(self) -> str | None:
        url = self.forum_list or next(iter(self.store.urls()), None)
        return urls.origin(url) if url else None

    def was_reached(self, url: str) -> bool:
        """Did the capture go to this page, or at least to its thread?"""
        if url in self.store:
            return True
        thread_id = _thread_id(url)
        return thread_id is not None and thread_id in self.threads


class WarcDownloadHandler(BaseDownloadHandler):
    """Every http(s) request answered from the WARC store; nothing goes to the network."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.site: CapturedSite = crawler.settings[SITE_SETTING]
        self.store = self.site.store
        self.stats = crawler.stats

    async def download_request(self, request: Request):
        thread_id = _thread_id(request.url)
        if thread_id is not None:
            self.site.threads_requested.add(thread_id)
        entry = self.store.get(request.url)
        if entry is None:
            self.stats.inc_value("reparse/missing_pages")
            logger.warning("reparse/missing_pages: not in the WARC files (%s)", request.url)
            raise IgnoreRequest(f"not in the WARC files: {request.url}")
        page = await run_in_thread(self.store.read, entry)
        request.meta[SOURCE_META] = page.source
        self.stats.inc_value("reparse/pages")
        respcls = responsetypes.from_args(headers=page.headers, url=request.url, body=page.body)
        return respcls(
            url=request.url,
            status=page.status,
            headers=page.headers,
            body=page.body,
            request=request,
            protocol="HTTP/1.1",
        )


class ReparseSpiderMiddleware:
    """Only pages the capture went to are requested (see the module docstring)."""

    def __init__(self, crawler):
        self.site: CapturedSite = crawler.settings[SITE_SETTING]
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _keep(self, request: Request) -> bool:
        if self.site.was_reached(request.url):
            return True
        self.stats.inc_value("reparse/not_captured_skipped")
        logger.debug("Not captured, skipped: %s", request.url)
        return False

    async def process_start(self, start):
        async for request in start:
            if not isinstance(request, Request) or self._keep(request):
                yield request

    def process_spider_output(self, response, result, spider=None):
        for element in result:
            if not isinstance(element, Request) or self._keep(element):
                yield element

    async def process_spider_output_async(self, response, result, spider=None):
        async for element in result:
            if not isinstance(element, Request) or self._keep(element):
                yield element


class ReparseExtension:
    """Starts captured threads the index pages did not lead to; logs progress."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.site: CapturedSite = crawler.settings[SITE_SETTING]
        self.started = time.monotonic()
        self.progress = task.LoopingCall(self.log_progress)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        unreadable = self.site.store.records["unreadable"]
        if unreadable:
            self.crawler.stats.set_value("reparse/unreadable_files", unreadable)
        self.progress.start(PROGRESS_SECONDS, now=False)

    def spider_idle(self, spider) -> None:
        requested = self.site.threads_requested
        left = sorted(set(self.site.threads) - requested)
        if not left:
            return
        logger.info("Starting %d captured threads no index page led to", len(left))
        self.crawler.stats.inc_value("reparse/threads_without_index", len(left))
        for thread_id in left:
            requested.add(thread_id)
            self.crawler.engine.crawl(spider.thread_request(self.site.threads[thread_id][1]))
        raise DontCloseSpider

    def log_progress(self) -> None:
        stats = self.crawler.stats
        pages = stats.get_value("reparse/pages", 0)
        rate = pages / max(time.monotonic() - self.started, 1e-9)
        logger.info(
            "Re-parse: %d of %d captured pages read (%.0f/s), %d posts, %d threads done, "
            "%d pages missing",
            pages,
            len(self.site.store),
            rate,
            stats.get_value("posts/yielded", 0),
            stats.get_value("threads/completed", 0),
            stats.get_value("reparse/missing_pages", 0),
        )

    def spider_closed(self, spider) -> None:
        if self.progress.running:
            self.progress.stop()
        self.log_progress()


def verdict(stats: dict[str, Any]) -> str | None:
    """Why this re-parse failed or lost data, in one line; None when it did neither.

    Computed here from the crawl's stats (the crawl's own report and exit status are built
    elsewhere, tlcrawl/monitoring, not on this branch).
    """
    reason = stats.get("finish_reason")
    if reason != "finished":
        return f"the re-parse did not finish ({reason})"
    # A WARC file cut short (a crawl killed while writing) is no loss by itself: a page it lost
    # counts as missing unless another capture has it (the resume fetched it again).
    lost = {
        "pages missing from the WARC files": stats.get("reparse/missing_pages", 0),
        "thread pages failed": stats.get("thread_page/failed", 0),
        "threads left incomplete": stats.get("threads/incomplete", 0),
        "documents dead-lettered": stats.get("mongodb/dead_letter", 0),
        "posts missing a required field": stats.get("posts/missing_field", 0),
        "errors logged": stats.get("log_count/ERROR", 0),
    }
    found = [f"{count} {what}" for what, count in lost.items() if count]
    if found:
        return "re-parse lost data: " + ", ".join(found)
    if not stats.get("reparse/pages"):
        return "re-parse read no pages"
    return None


def reparse_settings(site: CapturedSite, uri: str, database: str, extra: dict[str, Any]):
    """The project's settings with the network replaced by the WARC store."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("tlcrawl.settings", priority="project")
    handler = "tlcrawl.warc.reparse.WarcDownloadHandler"
    overrides = {
        SITE_SETTING: site,
        "MONGODB_URI": uri,
        "MONGODB_DATABASE": database,
        "TLCRAWL_RENDER": "never",  # a rendered page was captured as the browser left it
        "ROBOTSTXT_OBEY": False,  # applied when the pages were captured
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        # A captured answer does not change when asked again: no retries, no waiting.
        "RETRY_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS": 32,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
    }
    settings.setdict(overrides, priority="cmdline")
    # Component settings key by key, so the project's other components stay as they are.
    components = {
        # No network at all: every scheme that could reach one answers from the store (or not).
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler, "ftp": None, "s3": None},
        "DOWNLOADER_MIDDLEWARES": {
            "tlcrawl.middlewares.retry_after.RetryAfterMiddleware": None,
            "tlcrawl.warc.capture.WarcCaptureMiddleware": None,  # pages are read, not written
        },
        "SPIDER_MIDDLEWARES": {"tlcrawl.warc.reparse.ReparseSpiderMiddleware": 50},
        "EXTENSIONS": {"tlcrawl.warc.reparse.ReparseExtension": 0},
    }
    for name, entries in components.items():
        for key, value in entries.items():
            settings[name].set(key, value, priority="cmdline")
    settings.setdict(extra, priority="cmdline")
    return settings


def run(site: CapturedSite, uri: str, database: str, extra: dict[str, Any] | None = None):
    """Re-parse in this process (starts and stops the reactor); returns the crawl's stats."""
    from scrapy.crawler import CrawlerProcess

    from tlcrawl.spiders.threads import ThreadsSpider

    process = CrawlerProcess(reparse_settings(site, uri, database, extra or {}))
    crawler = process.create_crawler(ThreadsSpider)
    arguments = {"base_url": site.base_url, "render": "never"}
    if site.forums:
        arguments["forums"] = ",".join(sorted(site.forums))
    process.crawl(crawler, **arguments)
    process.start()
    return crawler.stats.get_stats()


def report(site: CapturedSite, stats: dict[str, Any], seconds: float) -> list[str]:
    """The lines printed at the end of a re-parse."""
    pages = stats.get("reparse/pages", 0)
    get = stats.get
    return [
        f"Re-parsed {len(site.store.files)} WARC files ({len(site.store)} captured URLs): "
        f"{pages} pages read in {seconds:.1f} s ({pages / max(seconds, 1e-9):.0f} pages/s)",
        f"  threads: {get('threads/completed', 0)} completed, "
        f"{get('threads/incomplete', 0)} incomplete, "
        f"{get('reparse/threads_without_index', 0)} started without an index page",
        f"  posts: {get('posts/yielded', 0)}; quotes resolved {get('quotes/resolved', 0)} "
        f"of {get('quotes/seen', 0)}",
        f"  pages missing from the WARC files: {get('reparse/missing_pages', 0)}; "
        f"requests to pages never captured, skipped: {get('reparse/not_captured_skipped', 0)}; "
        f"files cut short: {get('reparse/unreadable_files', 0)}",
        f"  MongoDB: {get('mongodb/upserted', 0)} upserted, {get('mongodb/modified', 0)} modified, "
        f"{get('mongodb/dead_letter', 0)} dead-lettered",
    ]
