"""A crawl's verdict: its exit status and one line saying why, from its stats alone.

Shared by `scrapy crawl` (tlcrawl/commands/crawl.py), the crawl report and anything else that ends
with Scrapy stats (a re-parse): the same stats always give the same verdict.

Exit statuses (README "Crawling the real site"):
    0  the crawl finished and every check passed
    1  the crawl failed a check or did not finish (the report names which)
    2  bad arguments: nothing was crawled (or the crawl stopped as soon as that was known)
    3  the database: unreachable at start, or documents could not be written (dead letters)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tlcrawl import defaults

OK = 0
CHECKS_FAILED = 1
BAD_ARGUMENTS = 2
DATABASE = 3

# Stats the monitors write (tlcrawl/monitoring/actions.py) and the verdict reads.
CHECKS_FAILED_PREFIX = "checks/failed/"
REPORT_STAT = "checks/report"
REFUSED_STAT = "arguments/refused"


@dataclass(frozen=True)
class Verdict:
    code: int
    reason: str

    @property
    def ok(self) -> bool:
        return self.code == OK


def failed_checks(stats: Mapping[str, Any]) -> list[str]:
    return sorted(
        key.removeprefix(CHECKS_FAILED_PREFIX)
        for key in stats
        if key.startswith(CHECKS_FAILED_PREFIX)
    )


# What a crawl did not store, as the spider counts it: (stat, what it counts).
LOSSES = (
    ("threads/posts_missing", "posts"),
    ("posts/missing_field", "unreadable posts"),
    ("thread_page/failed", "thread pages"),
    ("index/failed", "index pages"),
    ("threads/incomplete", "threads incomplete"),
)


def losses(stats: Mapping[str, Any]) -> str:
    """How much the crawl did not store, e.g. `240 posts, 12 thread pages, 3 threads incomplete`."""
    return ", ".join(f"{stats[key]} {what}" for key, what in LOSSES if stats.get(key))


def expected_finish_reasons(settings) -> tuple[str, ...]:
    """The finish reasons of a crawl that ran to its end (TLCRAWL_EXPECTED_FINISH_REASONS)."""
    default = list(defaults.EXPECTED_FINISH_REASONS)
    return tuple(settings.getlist("TLCRAWL_EXPECTED_FINISH_REASONS", default))


def verdict_of(crawler) -> Verdict:
    """The verdict on a crawler's finished crawl, from its stats and settings."""
    return crawl_verdict(crawler.stats.get_stats(), expected_finish_reasons(crawler.settings))


def crawl_verdict(
    stats: Mapping[str, Any],
    expected_finish_reasons: tuple[str, ...] = defaults.EXPECTED_FINISH_REASONS,
) -> Verdict:
    refused = stats.get(REFUSED_STAT)
    if refused:
        return Verdict(BAD_ARGUMENTS, f"bad argument: {refused}")
    dead = stats.get("mongodb/dead_letter", 0)
    if dead:
        return Verdict(
            DATABASE,
            f"{dead} documents could not be written to MongoDB and went to the dead-letter file: "
            "replay it with `python -m tlcrawl.storage.replay FILE` once the database is back",
        )
    report = f"; see {stats[REPORT_STAT]}" if stats.get(REPORT_STAT) else ""
    failed = failed_checks(stats)
    if failed:
        lost = losses(stats)
        lost = f" (lost: {lost}; the next `-a incremental=1` crawl fetches them)" if lost else ""
        return Verdict(
            CHECKS_FAILED, f"the crawl failed its checks: {', '.join(failed)}{lost}{report}"
        )
    reason = stats.get("finish_reason")
    if reason not in expected_finish_reasons:
        return Verdict(CHECKS_FAILED, f"the crawl did not finish: finish_reason={reason}{report}")
    return Verdict(OK, f"the crawl finished and passed its checks{report}")
