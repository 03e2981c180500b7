"""The verdict (exit status) and the checks, from stats alone: the same stats always give the same
verdict, whichever command ran the crawl (or a re-parse)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from scrapy.utils.test import get_crawler
from spidermon.contrib.scrapy.runners import SpiderMonitorRunner

from tlcrawl.monitoring import history, report
from tlcrawl.monitoring.monitors import CrawlChecks
from tlcrawl.monitoring.verdict import crawl_verdict
from tlcrawl.spiders.threads import ThreadsSpider
from tlcrawl.storage.client import open_client

GOOD = {"finish_reason": "finished", "item_scraped_count": 120, "posts/yielded": 100}


@pytest.mark.parametrize(
    ("stats", "code", "starts"),
    [
        (GOOD, 0, "the crawl finished and passed its checks"),
        ({**GOOD, "arguments/refused": "-a forums=: no subforum 'x'"}, 2,
         "bad argument: -a forums"),
        ({**GOOD, "mongodb/dead_letter": 7}, 3, "7 documents could not be written to MongoDB"),
        ({**GOOD, "checks/failed/markup": "the site's markup looks changed"}, 1,
         "the crawl failed its checks: markup"),
        ({**GOOD, "finish_reason": "shutdown"}, 1,
         "the crawl did not finish: finish_reason=shutdown"),
        # Bad arguments outrank everything else they cause; lost documents outrank failed checks.
        ({"finish_reason": "bad_arguments", "arguments/refused": "x", "checks/failed/errors": 1},
         2, "bad argument: x"),
        ({**GOOD, "mongodb/dead_letter": 1, "checks/failed/dead_letters": 1}, 3, "1 documents"),
    ],
)  # fmt: skip
def test_the_verdict_of_a_crawl(stats, code, starts):
    verdict = crawl_verdict(stats)
    assert (verdict.code, verdict.reason[: len(starts)]) == (code, starts)


def run_checks(tmp_path, stats: dict, **spider_args) -> dict:
    """Run the end-of-crawl checks on these stats (as Spidermon does at spider close)."""
    crawler = get_crawler(ThreadsSpider, {"TLCRAWL_REPORT_DIR": str(tmp_path), "MONGODB_URI": ""})
    crawler.spider = ThreadsSpider.from_crawler(crawler, **spider_args)
    crawler.stats.open_spider()
    crawler.stats.set_stats(dict(stats))
    SpiderMonitorRunner(spider=crawler.spider).run(
        CrawlChecks(crawler=crawler), stats=crawler.stats.get_stats(), crawler=crawler,
        spider=crawler.spider, stats_history=[], job=None,
    )  # fmt: skip
    return crawler.stats.get_stats()


def test_a_changed_markup_is_called_out_in_stats_and_report(tmp_path):
    stats = run_checks(tmp_path, {**GOOD, "thread_page/no_posts": 12, "posts/missing_field": 3})
    assert stats["checks/failed/markup"] == (
        "the site's markup looks changed: 12 thread pages without posts, "
        "3 posts missing a required field"
    )
    (markdown,) = tmp_path.glob("threads-*.md")
    text = markdown.read_text()
    assert "**FAILED** (exit status 1)" in text
    assert "| markup | **FAILED**: the site's markup looks changed: 12 thread pages" in text
    assert "Traceback" not in text


def test_posts_missing_from_threads_fail_the_crawl(tmp_path):
    stats = run_checks(tmp_path, {**GOOD, "threads/posts_missing": 5, "threads/short": 2})
    assert stats["checks/failed/posts_stored"] == (
        "5 posts missing from 2 threads (announced but not stored)"
    )
    assert crawl_verdict(stats).code == 1


def test_quotes_resolved_are_compared_with_the_previous_crawl_of_the_same_scope(tmp_path):
    first = run_checks(tmp_path, {**GOOD, "quotes/seen": 100, "quotes/resolved": 90})
    assert not [key for key in first if key.startswith("checks/failed/")]
    # Another scope (one forum) is not compared with the first crawl.
    other = run_checks(
        tmp_path, {**GOOD, "quotes/seen": 100, "quotes/resolved": 50}, forums="games"
    )
    assert "checks/failed/quotes_resolved" not in other
    # The same scope, resolving far fewer: fails, naming both shares.
    worse = run_checks(tmp_path, {**GOOD, "quotes/seen": 100, "quotes/resolved": 80})
    assert worse["checks/failed/quotes_resolved"].startswith(
        "80.0% of quotes resolved, down from 90.0% in the previous crawl"
    )
    summaries = [
        json.loads(line) for line in (tmp_path / history.HISTORY_FILE).read_text().splitlines()
    ]
    assert [s["quotes_resolved_share"] for s in summaries] == [0.9, 0.5, 0.8]
    assert [s["exit_code"] for s in summaries] == [0, 0, 1]


def test_a_crawl_that_collected_nothing_fails(tmp_path):
    stats = run_checks(tmp_path, {"finish_reason": "finished"})
    assert stats["checks/failed/collected"] == "nothing was collected: no forum, thread or post"


def test_a_summary_cut_short_by_a_crash_is_skipped_and_the_next_one_stays_readable(
    tmp_path, caplog
):
    run_checks(tmp_path, {**GOOD, "quotes/seen": 100, "quotes/resolved": 90})
    path = tmp_path / history.HISTORY_FILE
    with path.open("a") as out:
        out.write('{"scope": "threads", "quotes_resolved_sh')  # kill -9 mid-line
    # The cut line is skipped (the last whole summary is compared with), then a new line starts.
    worse = run_checks(tmp_path, {**GOOD, "quotes/seen": 100, "quotes/resolved": 80})
    assert worse["checks/failed/quotes_resolved"].startswith("80.0% of quotes resolved, down")
    assert f"{path}:2 is not a crawl summary (cut short?): skipped" in caplog.text
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and json.loads(lines[2])["quotes_resolved_share"] == 0.8
    again = run_checks(tmp_path, {**GOOD, "quotes/seen": 100, "quotes/resolved": 80})
    assert "checks/failed/quotes_resolved" not in again  # compared with the 0.8 after the cut


@pytest.mark.parametrize(
    ("uri", "seconds"),
    [
        ("mongodb://127.0.0.1/", 5.0),
        ("mongodb://127.0.0.1/?serverSelectionTimeoutMS=1000", 1.0),  # the URI's, shorter
        ("mongodb://u:p@127.0.0.1/db?w=1&serverselectiontimeoutms=30000", 5.0),  # never longer
    ],
)
def test_the_summary_waits_for_the_database_no_longer_than_the_uri_asks(uri, seconds):
    client = open_client(uri)  # connects lazily: no server needed
    try:
        assert history.summary_timeout(client, uri) == seconds
    finally:
        client.close()


def test_crawls_ending_in_the_same_second_keep_both_reports(tmp_path, monkeypatch):
    """Without a Scrapyd job id the report is named by time; two crawl processes (each refused at
    once, say) that end in the same second must not overwrite each other's report."""

    class FrozenClock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 11, 30, 12, 0, 0, tzinfo=tz)

    monkeypatch.setattr(report, "datetime", FrozenClock)
    names = set()
    for pid in (4100, 4101):
        monkeypatch.setattr(report.os, "getpid", lambda pid=pid: pid)
        markdown, data = report.report_paths(tmp_path, "threads", None)
        names |= {markdown, data}
    assert len(names) == 4
    assert report.report_paths(tmp_path, "threads", "job7")[0].name == "threads-job7.md"
