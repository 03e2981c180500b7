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

import pymongo
from pymongo import DESCENDING
from pymongo.errors import PyMongoError
from scrapy.crawler import Crawler

from tlcrawl import defaults
from tlcrawl.storage.client import open_client, server_wait
from tlcrawl.storage.schema import CRAWLS

logger = logging.getLogger(__name__)

HISTORY_FILE = "crawls.jsonl"
MIN_QUOTES_TO_COMPARE = 20  # fewer quotes make the share too noisy to compare
# The longest reading or storing the summary waits for an unreachable server, unless the URI's
# own serverSelectionTimeoutMS is shorter: a crawl told to give up on the database fast ends fast.
SUMMARY_TIMEOUT_SECONDS = 5.0


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
    client = open_client(uri)
    database = crawler.settings.get("MONGODB_DATABASE") or defaults.MONGODB_DATABASE
    return client, client[database][CRAWLS], summary_timeout(client, uri)


def summary_timeout(client, uri: str) -> float:
    return server_wait(client, uri, SUMMARY_TIMEOUT_SECONDS)


def _history_file(crawler: Crawler) -> Path:
    return Path(crawler.settings.get("TLCRAWL_REPORT_DIR") or defaults.REPORT_DIR) / HISTORY_FILE


def previous_summary(crawler: Crawler) -> dict | None:
    """The last stored summary of a crawl with the same scope, or None."""
    scope = crawl_scope(crawler)
    opened = _database(crawler)
    if opened is not None:
        client, crawls, timeout = opened
        try:
            with pymongo.timeout(timeout):
                return crawls.find_one({"scope": scope}, sort=[("finished_at", DESCENDING)])
        except PyMongoError as error:
            logger.warning("Cannot read the previous crawl's summary: %s", error)
            return None
        finally:
            client.close()
    path = _history_file(crawler)
    if not path.exists():
        return None
    matching = [summary for summary in _read_summaries(path) if summary.get("scope") == scope]
    return matching[-1] if matching else None


def _read_summaries(path: Path) -> list[dict]:
    """The file's summaries; a line that is not one (cut short by a crash) is skipped, loudly."""
    summaries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            summaries.append(json.loads(line))
        except json.JSONDecodeError:
            logger.warning("%s:%d is not a crawl summary (cut short?): skipped", path, number)
    return summaries


def save_summary(crawler: Crawler, summary: dict) -> None:
    summary = dict(summary, scope=crawl_scope(crawler))
    opened = _database(crawler)
    if opened is not None:
        client, crawls, timeout = opened
        try:
            with pymongo.timeout(timeout):
                crawls.insert_one(summary)
        except PyMongoError as error:
            logger.warning("Cannot store this crawl's summary in MongoDB: %s", error)
        finally:
            client.close()
        return
    path = _history_file(crawler)
    path.parent.mkdir(parents=True, exist_ok=True)
    new_line = "\n" if _cut_short(path) else ""  # after a crash mid-line: keep this one whole
    with path.open("a", encoding="utf-8") as out:
        out.write(new_line + json.dumps(summary, default=str) + "\n")


def _cut_short(path: Path) -> bool:
    """The file's last line has no end (a crash while it was written)."""
    if not path.exists() or not path.stat().st_size:
        return False
    with path.open("rb") as data:
        data.seek(-1, 2)
        return data.read(1) != b"\n"
