"""Keep every request, redirects and refetches included, on the crawl's own site.

Scrapy's OffsiteMiddleware lets `dont_filter` requests through (our refetches of cut-short pages
are such requests) and compares host names only. This one compares scheme-less host and port with
the spider's `base_url` and refuses anything else (stat `offsite/refused`), so a thread page that
redirects to another host never leads the crawl (or its robots.txt fetch) there.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

logger = logging.getLogger(__name__)


def _site(netloc: str, scheme: str) -> tuple[str, int | None]:
    host, _, port = netloc.lower().rpartition(":") if ":" in netloc else (netloc.lower(), "", "")
    default = {"http": 80, "https": 443}.get(scheme)
    return host, int(port) if port.isdigit() else default


@cache
def _site_of(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    return _site(parts.netloc, parts.scheme)


class SiteOnlyMiddleware:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        base = getattr(self.crawler.spider, "base_url", None)
        if not base:
            return
        target = urlparse_cached(request)
        if _site(target.netloc, target.scheme) == _site_of(base):
            return
        self.stats.inc_value("offsite/refused")
        logger.warning("offsite/refused: %s is not on %s", request.url, base)
        raise IgnoreRequest(f"not on the crawl's site {base}: {request.url}")
