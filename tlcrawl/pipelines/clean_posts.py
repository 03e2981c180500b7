"""Fill a post's derived fields (text, quotes, links, images, videos, signature, content_hash).

The spider stores raw HTML (`html`, and the signature's inner HTML in `signature`); this pipeline
turns it into the contract's fields so that parsing rules live in one pure module (post_body).
"""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from tlcrawl import defaults
from tlcrawl.items import PostItem
from tlcrawl.parsing.post_body import parse_body, text_of
from tlcrawl.parsing.urls import origin
from tlcrawl.storage.documents import content_hash

logger = logging.getLogger(__name__)


class CleanPostsPipeline:
    def __init__(self, stats: StatsCollector, base_url: str) -> None:
        self.stats = stats
        self.base_url = base_url

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.stats, crawler.settings.get("TLCRAWL_BASE_URL", defaults.BASE_URL))

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, PostItem):
            self.clean(item)
        return item

    def clean(self, post: PostItem) -> None:
        if not (post.html or "").strip():
            # Kept anyway: the post exists (and may be quoted); its body may come on a re-crawl.
            self.stats.inc_value("posts/empty_body")
            logger.warning("Post %s has an empty body: %s", post._id, post.url)
        # The contract builds every URL on the crawl's base URL: the one the post's permalink is on.
        body = parse_body(post.html or "", origin(post.url) if post.url else self.base_url)
        post.text = body.text
        post.quotes = [quote.to_dict() for quote in body.quotes]
        post.links, post.images, post.videos = body.links, body.images, body.videos
        post.signature = text_of(post.signature) or None
        post.content_hash = content_hash(post.text)
