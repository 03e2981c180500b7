"""A progress line every TLCRAWL_PROGRESS_INTERVAL seconds, in the crawl's log (so in a Scrapyd
job's log too, where `deploy/scrapyd_ctl.py follow` shows it):

    Progress: threads 120/480 done (25%), 2400 pages, 48000 posts, 6.1 requests/s, 0 errors,
    about 0:12:30 left     (one line)

The estimate divides the threads still to do by the rate at which threads were done over the last
RATE_WINDOW progress lines (the start of a crawl, reading indexes and opening the database, is
slower than its steady pace, so the rate since the start would overestimate the time left). The
spider reads subforum indexes as it goes; for a full crawl it estimates the threads of the pages
not read yet from each index's page count (`threads/expected`), so the estimate holds from the
first minutes; an incremental crawl knows only the changed threads listed so far.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from datetime import timedelta

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from tlcrawl import defaults

logger = logging.getLogger(__name__)

RATE_WINDOW = 5  # progress lines whose threads done give the rate of the estimate


class ProgressLog:
    def __init__(self, crawler: Crawler, interval: float):
        self.stats = crawler.stats
        self.interval = interval
        self.task = None
        self.started = self.last_time = time.monotonic()
        self.last_requests = 0
        self.done_history: deque[tuple[float, int]] = deque(maxlen=RATE_WINDOW + 1)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressLog:
        interval = crawler.settings.getfloat(
            "TLCRAWL_PROGRESS_INTERVAL", defaults.PROGRESS_INTERVAL
        )
        if interval <= 0:
            raise NotConfigured
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider) -> None:
        self.started = self.last_time = time.monotonic()
        self.task = create_looping_call(self.log_progress)
        self.task.start(self.interval, now=False)

    def spider_closed(self, spider, reason) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()

    def log_progress(self) -> None:
        logger.info("Progress: %s", self.line(time.monotonic()))

    def line(self, now: float) -> str:
        stat = self.stats.get_value
        known = max(stat("threads/known") or 0, stat("threads/expected") or 0)
        done = (stat("threads/completed") or 0) + (stat("threads/incomplete") or 0)
        requests = stat("downloader/request_count") or 0
        rate = (requests - self.last_requests) / max(now - self.last_time, 1e-9)
        self.last_requests, self.last_time = requests, now
        share = f" ({done / known:.0%})" if known else ""
        return (
            f"threads {done}/{known} done{share}, {stat('response_received_count') or 0} pages, "
            f"{stat('posts/yielded') or 0} posts, {rate:.1f} requests/s, "
            f"{stat('log_count/ERROR') or 0} errors, {self.eta(done, known, now)}"
        )

    def eta(self, done: int, known: int, now: float) -> str:
        since, done_then = self.done_history[0] if self.done_history else (self.started, 0)
        self.done_history.append((now, done))
        if done <= done_then:
            since, done_then = self.started, 0  # nothing done lately: the rate since the start
        if not done:
            return "time left unknown yet"
        seconds = (known - done) / ((done - done_then) / max(now - since, 1e-9))
        return f"about {timedelta(seconds=round(max(seconds, 0)))} left"
