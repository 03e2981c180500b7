"""A misbehaving site loses nothing that could be had: faults are counted, logged with the URL,
and every good post still arrives."""

from __future__ import annotations

import logging
import re

import pytest_twisted

from tests.crawling import run_crawl
from tests.fakeforum.model import stable_fraction
from tests.support import replica_truth
from tests.truth import RESOLUTION, by_type, differences
from tlcrawl.parsing.urls import parse_thread_url

FORUM = ("--forums", "1", "--threads-per-forum", "8", "--long-pages", "12")


def _truth_posts(options, base_url: str) -> dict:
    return by_type(replica_truth(*options, base_url=base_url), "post")


@pytest_twisted.ensureDeferred
async def test_server_errors_and_pages_cut_short_are_fetched_again(replica):
    options = (*FORUM, "--fail-rate", "0.25", "--truncate-rate", "0.25")
    server = replica(*options)
    result = await run_crawl(base_url=server.url)
    assert (
        differences(_truth_posts(options, server.url), result.of("post"), ignore=RESOLUTION) == []
    )
    assert result.stats["retry/count"] > 0, "5xx pages were retried"
    assert result.stats["thread_page/refetched"] > 0, "cut-short pages were fetched again"
    assert "thread_page/failed" not in result.stats


@pytest_twisted.ensureDeferred
async def test_rate_limit_is_waited_out(replica):
    options = (*FORUM, "--rate-limit", "5")
    server = replica(*options)
    result = await run_crawl(base_url=server.url)
    assert (
        differences(_truth_posts(options, server.url), result.of("post"), ignore=RESOLUTION) == []
    )
    assert result.stats.get("retry_after/429", 0) > 0, "429s were waited out, not lost"
    assert result.stats.get("retry_after/held_requests", 0) > 0, "the whole site was paused"
    assert "thread_page/failed" not in result.stats


def _failing_pages(thread_url: str, pages: int, rate: float, seed: int = 1) -> set[int]:
    """The pages the replica chose to fail (its own deterministic choice, see fakeforum.server)."""
    path = thread_url.split("/", 3)[3]
    targets = {
        page: f"/{path}" + (f"?page={page}" if page > 1 else "") for page in range(1, pages + 1)
    }
    return {
        page for page, target in targets.items() if stable_fraction(seed, "fail", target) < rate
    }


@pytest_twisted.ensureDeferred
async def test_pages_that_never_load_are_counted_and_logged_and_the_rest_arrives(replica, caplog):
    options = ("--forums", "1", "--threads-per-forum", "10", "--fail-rate", "0.1")
    options = (*options, "--fail-attempts", "99")
    server = replica(*options)
    truth = replica_truth(*options, base_url=server.url)
    thread = max(by_type(truth, "thread").values(), key=lambda t: t["pages"])
    posts = {k: v for k, v in by_type(truth, "post").items() if v["thread_id"] == thread["_id"]}
    failing = _failing_pages(thread["url"], thread["pages"], 0.1)
    assert failing and 1 not in failing, "this seed fails some pages of the long thread, not page 1"
    start = next(p for p in posts.values() if p["page"] not in failing and p["page"] > 1)

    with caplog.at_level(logging.WARNING):
        result = await run_crawl(thread_url=start["url"])  # a permalink redirecting into the thread

    logged = re.findall(r"thread_page/failed: .*\((http\S+)\)", caplog.text)
    assert {parse_thread_url(url).page for url in logged} == failing
    assert result.stats["thread_page/failed"] == len(failing)
    expected = {k: v for k, v in posts.items() if v["page"] not in failing}
    assert differences(expected, result.of("post"), ignore=RESOLUTION) == []
    [thread_item] = result.of("thread").values()
    assert thread_item["complete"] is False, "so an incremental crawl comes back to it"
