"""Checks made before the first request: a crawl that cannot store what it fetches must not start.

A MongoDB that does not answer at start used to cost a whole crawl: every page fetched, every
document retried for a minute and then dead-lettered. The extension is built after the spider (so
after its arguments were checked, `-a incremental=1` without MONGODB_URI among them) and before the
engine opens; raising here ends `scrapy crawl` with one line and exit status 3.
"""

from __future__ import annotations

import logging

from pymongo.errors import PyMongoError
from scrapy.crawler import Crawler

from tlcrawl import defaults
from tlcrawl.monitoring.verdict import DATABASE
from tlcrawl.storage.client import mask_uri, open_client, uri_secrets

logger = logging.getLogger(__name__)


class DatabaseUnreachable(Exception):
    exit_code = DATABASE


class Preflight:
    """Extension: MONGODB_URI set means the database must answer a ping within
    TLCRAWL_PREFLIGHT_DB_SECONDS; empty means "feeds only"."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Preflight:
        uri = crawler.settings.get("MONGODB_URI") or ""
        if uri:
            check_database(
                uri,
                crawler.settings.getfloat(
                    "TLCRAWL_PREFLIGHT_DB_SECONDS", defaults.PREFLIGHT_DB_SECONDS
                ),
            )
        return cls()


def check_database(uri: str, seconds: float) -> None:
    """Raise DatabaseUnreachable (its message free of secrets) unless MongoDB answers a ping."""
    timeout_ms = int(seconds * 1000)
    try:
        client = open_client(uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms)
        try:
            client.admin.command("ping")
        finally:
            client.close()
    except PyMongoError as error:
        detail = str(error).split(", Timeout:")[0].split(" (configured timeouts")[0]
        for secret in uri_secrets(uri):
            detail = detail.replace(secret, "****")
        raise DatabaseUnreachable(
            f"MongoDB at {mask_uri(uri)} does not answer ({detail}): start it, fix MONGODB_URI, "
            "or set MONGODB_URI= (empty) to crawl into feeds only"
        ) from None
    logger.info("MongoDB at %s answers", mask_uri(uri))
