"""Each crawl's summary, kept where the next crawl of the same scope can compare with it.

MongoDB collection `crawls` when MONGODB_URI is set, else `crawls.jsonl` in the report directory.
The scope is the spider and its site/forum/thread arguments: a crawl of one thread is not compared
with a crawl of the whole forum.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pymongo import DESCENDING, MongoClient
from pymongo.errors import PyMongoError
from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

HISTORY_FILE = "crawls.jsonl"
COLLECTION = "crawls"
MIN_QUOTES_TO_COMPARE = 20  # fewer quotes make the share too noisy to compare
# The longest the summary's reads and write wait for an unreachable server (each), unless the
# URI's own serverSelectionTimeoutMS is shorter.
SELECTION_TIMEOUT_MS = 5000


def crawl_scope(crawler: Crawler) -> str:
    spider = crawler.spider
    parts = [spider.name if spider else "?"]
    for name in ("base_url", "forum_filter", "thread_url"):
        value = getattr(spider, name, None)
        if value:
            parts.append(f"{name}={','.join(sorted(value)) if isinstance(value, set) else value}")
    return " ".join(parts)


def resolved_share(stats: Mapping[str, Any]) -> float | None:
    seen = stats.get("quotes/seen", 0) or 0
    if seen < MIN_QUOTES_TO_COMPARE:
        return None
    return (stats.get("quotes/resolved", 0) or 0) / seen


def _database(crawler: Crawler):
    uri = crawler.settings.get("MONGODB_URI")
    if not uri:
        return None
    client = MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=_selection_timeout_ms(uri))
    return client, client[crawler.settings.get("MONGODB_DATABASE") or "tlcrawl"][COLLECTION]


def _selection_timeout_ms(uri: str) -> int:
    """SELECTION_TIMEOUT_MS, or the URI's serverSelectionTimeoutMS when that is shorter (the
    keyword would override it): a crawl told to give up on the database fast ends fast."""
    for option in uri.partition("?")[2].split("&"):
        name, _, value = option.partition("=")
        if name.lower() == "serverselectiontimeoutms" and value.isdigit():
            return min(int(value), SELECTION_TIMEOUT_MS)
    return SELECTION_TIMEOUT_MS


def _history_file(crawler: Crawler) -> Path:
    return Path(crawler.settings.get("TLCRAWL_REPORT_DIR") or "data/reports") / HISTORY_FILE


def previous_summary(crawler: Crawler) -> dict | None:
    """The last stored summary of a crawl with the same scope, or None."""
    scope = crawl_scope(crawler)
    opened = _database(crawler)
    if opened is not None:
        client, crawls = opened
        try:
            return crawls.find_one({"scope": scope}, sort=[("finished_at", DESCENDING)])
        except PyMongoError as error:
            logger.warning("Cannot read the previous crawl's summary: %s", error)
            return None
        finally:
            client.close()
    path = _history_file(crawler)
    if not path.exists():
        return None
    summaries = (json.loads(line) for line in path.read_text().splitlines() if line.strip())
    matching = [summary for summary in summaries if summary.get("scope") == scope]
    return matching[-1] if matching else None


def save_summary(crawler: Crawler, summary: dict) -> None:
    summary = dict(summary, scope=crawl_scope(crawler))
    opened = _database(crawler)
    if opened is not None:
        client, crawls = opened
        try:
            crawls.insert_one(summary)
        except PyMongoError as error:
            logger.warning("Cannot store this crawl's summary in MongoDB: %s", error)
        finally:
            client.close()
        return
    path = _history_file(crawler)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(summary, default=str) + "\n")
