"""Honour `Retry-After` when the site says it is busy (429, or 503 with the header).

Scrapy's RetryMiddleware retries 429 at once, which a rate-limited site answers with another 429
until the retries run out and the page is lost. This middleware pauses every request to that site
for as long as it asks (capped), then sends the refused request again. Held requests resume
through the download slot, which still spaces them by the site's concurrency and delay.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from datetime import UTC, datetime
from typing import Self

from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached

from tlcrawl import defaults

logger = logging.getLogger(__name__)

BUSY_STATUSES = (429, 503)


def retry_after_seconds(value: str, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date; None if invalid."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.max_wait = crawler.settings.getfloat(
            "RETRY_AFTER_MAX_SECONDS", defaults.RETRY_AFTER_MAX_SECONDS
        )
        self.max_tries = crawler.settings.getint(
            "RETRY_AFTER_MAX_TRIES", defaults.RETRY_AFTER_MAX_TRIES
        )
        self.paused_until: dict[str, float] = {}  # site (host:port) -> time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        wait = self.paused_until.get(urlparse_cached(request).netloc, 0.0) - time.monotonic()
        if wait > 0:
            self.stats.inc_value("retry_after/held_requests")
            await asyncio.sleep(wait)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        header = response.headers.get(b"Retry-After")
        if response.status not in BUSY_STATUSES or header is None:
            return response
        wait = retry_after_seconds(header.decode("latin-1"))
        tries = request.meta.get("retry_after_tries", 0)
        if wait is None or tries >= self.max_tries:
            return response  # left to RetryMiddleware and, failing that, the spider's errback
        wait = min(wait, self.max_wait)
        site = urlparse_cached(request).netloc
        self.paused_until[site] = max(self.paused_until.get(site, 0.0), time.monotonic() + wait)
        self.stats.inc_value(f"retry_after/{response.status}")
        logger.info(
            "%s answered %d: pausing %s for %.1f s as asked",
            request.url,
            response.status,
            site,
            wait,
        )
        retry = request.replace(dont_filter=True)
        retry.meta["retry_after_tries"] = tries + 1
        return retry
