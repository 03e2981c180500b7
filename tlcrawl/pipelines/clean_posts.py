"""Clean a post's text fields; never parses HTML (the spider's items carry every field).

The thread-page parser extracts text, quotes, links, media, signature and content hash in its one
parse of the page (tlcrawl.parsing.thread_page). This pipeline only normalises what was extracted,
so that a post from any source is stored in one shape: whitespace squashed per line, empty lines
dropped, an empty signature stored as None, and a `content_hash` of the text stored (the parser's,
unless cleaning changed the text or the item came without one).
"""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from tlcrawl.items import PostItem, walk_quotes
from tlcrawl.parsing.post_body import content_hash, only_plain_spaces, squash_lines

logger = logging.getLogger(__name__)


class CleanPostsPipeline:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.stats)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, PostItem):
            self.clean(item)
        return item

    def clean(self, post: PostItem) -> None:
        if not (post.html or "").strip():
            # Kept anyway: the post exists (and may be quoted); its body may come on a re-crawl.
            self.stats.inc_value("posts/empty_body")
            logger.warning("Post %s has an empty body: %s", post._id, post.url)
        text = clean_text(post.text)
        if text != post.text or not post.content_hash:  # else the parser's hash of it stands
            post.text, post.content_hash = text, content_hash(text)
        for quote in walk_quotes(post.quotes):
            quote["text"] = clean_text(quote["text"])
        post.signature = clean_text(post.signature or "") or None


def clean_text(text: str) -> str:
    """One line per line of text: whitespace runs (U+00A0 included) squashed, empty lines dropped.

    Idempotent: the parser's text comes out unchanged; text from elsewhere takes its shape.
    """
    return text if _is_clean(text) else squash_lines(text, "\n")


def _is_clean(text: str) -> bool:
    """True when clean_text would return `text` as it is (the parser's text, always): checked
    with substring tests, several times cheaper than cleaning again."""
    if not text:
        return True
    if text[0].isspace() or text[-1].isspace():
        return False
    if "  " in text or " \n" in text or "\n " in text or "\n\n" in text:
        return False
    return only_plain_spaces(text)
