"""Keep every request, redirects and refetches included, on the crawl's own site.

Scrapy's OffsiteMiddleware lets `dont_filter` requests through (our refetches of cut-short pages
are such requests) and compares host names only. This one compares scheme-less host and port with
the spider's `base_url` and refuses anything else (stat `offsite/refused`), so a thread page that
redirects to another host never leads the crawl (or its robots.txt fetch) there.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

logger = logging.getLogger(__name__)


def _site(netloc: str, scheme: str) -> tuple[str, int | None]:
    host, _, port = netloc.lower().rpartition(":") if ":" in netloc else (netloc.lower(), "", "")
    default = {"http": 80, "https": 443}.get(scheme)
    return host, int(port) if port.isdigit() else default


class SiteOnlyMiddleware:
    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_request(self, request: Request, spider: Any = None) -> None:
        base = getattr(spider, "base_url", None)
        if not base:
            return
        own = urlparse_cached(Request(base))
        target = urlparse_cached(request)
        if _site(target.netloc, target.scheme) == _site(own.netloc, own.scheme):
            return
        self.stats.inc_value("offsite/refused")
        logger.warning("offsite/refused: %s is not on %s", request.url, base)
        raise IgnoreRequest(f"not on the crawl's site {base}: {request.url}")
