"""A page larger than DOWNLOAD_MAXSIZE fails (counted), and the crawl goes on."""

from __future__ import annotations

import pytest_twisted

from tests.crawling import run_crawl
from tests.support import SEED_PATH


@pytest_twisted.ensureDeferred
async def test_a_page_over_the_size_limit_is_counted_and_fails_its_thread(replica):
    server = replica("--forums", "1", "--threads-per-forum", "2")
    # The seed thread's pages are about 43 kB and 5 kB: only the first is over the limit.
    result = await run_crawl({"DOWNLOAD_MAXSIZE": 20_000}, thread_url=server.url + SEED_PATH)
    assert result.stats.get("bounds/page_too_large") == 1
    assert result.stats.get("thread_page/failed") == 1
    assert result.count("post") == 0, "page 1 never came: the thread is not started"
