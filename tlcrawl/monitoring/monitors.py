"""The checks every crawl ends with (Spidermon monitors, run when the spider closes).

Each check reads the crawl's stats (README "Crawling the real site" lists them); its result goes
to the stats (`checks/failed/<check>` holds the reason), the report file and the exit status
(tlcrawl/monitoring/actions.py, verdict.py).
"""

from __future__ import annotations

import warnings

from scrapy.exceptions import ScrapyDeprecationWarning
from spidermon import Monitor, MonitorSuite, monitors

from tlcrawl import defaults
from tlcrawl.monitoring import history
from tlcrawl.monitoring.actions import NotifyWebhook, RecordResults
from tlcrawl.monitoring.verdict import expected_finish_reasons

# unittest leaves the frames of modules that set this out of a failure's text: a failed check
# reads as its one-line reason, not as a traceback.
__unittest = True

# Spidermon 1.27 logs its results through Spider.log(), deprecated (still working) in Scrapy 2.19.
warnings.filterwarnings("ignore", r"Spider\.log\(\) is deprecated", ScrapyDeprecationWarning)


class _CrawlMonitor(Monitor):
    def stat(self, key: str) -> int:
        return self.data.stats.get(key, 0) or 0

    @property
    def settings(self):
        return self.data.crawler.settings


@monitors.name("crawl")
class CrawlEnded(_CrawlMonitor):
    @monitors.name("finish_reason")
    def test_finish_reason(self):
        """The crawl ran to its end (finish_reason is one of TLCRAWL_EXPECTED_FINISH_REASONS)."""
        expected = expected_finish_reasons(self.settings)
        reason = self.data.stats.get("finish_reason")
        if reason not in expected:
            self.fail(f"finish_reason is {reason!r}, expected {' or '.join(expected)}")

    @monitors.name("errors")
    def test_errors(self):
        """No more ERROR log lines than TLCRAWL_MAX_ERRORS."""
        errors = self.stat("log_count/ERROR")
        allowed = self.settings.getint("TLCRAWL_MAX_ERRORS", defaults.MAX_ERRORS)
        if errors > allowed:
            self.fail(f"{errors} errors in the log (at most {allowed} allowed)")

    @monitors.name("dead_letters")
    def test_dead_letters(self):
        """Every document reached MongoDB (none went to the dead-letter file)."""
        if dead := self.stat("mongodb/dead_letter"):
            self.fail(f"{dead} documents went to the dead-letter file instead of MongoDB")


@monitors.name("posts")
class PostsStored(_CrawlMonitor):
    @monitors.name("collected")
    def test_collected(self):
        """The crawl collected something (an incremental crawl may find every thread unchanged)."""
        if not self.stat("item_scraped_count") and not self.stat("threads/unchanged_skipped"):
            self.fail("nothing was collected: no forum, thread or post")

    @monitors.name("pages_failed")
    def test_pages_failed(self):
        """No thread or index page was given up on (after retries and refetches)."""
        threads, indexes = self.stat("thread_page/failed"), self.stat("index/failed")
        if threads or indexes:
            self.fail(
                f"{threads} thread pages and {indexes} index pages failed after retries: "
                "their posts are missing"
            )

    @monitors.name("posts_stored")
    def test_posts_stored(self):
        """Each thread has as many posts as its pages announce (replies + 1)."""
        missing, short = self.stat("threads/posts_missing"), self.stat("threads/short")
        if missing:
            self.fail(f"{missing} posts missing from {short} threads (announced but not stored)")

    @monitors.name("threads_complete")
    def test_threads_complete(self):
        """Every thread that was started got all its pages."""
        if incomplete := self.stat("threads/incomplete"):
            self.fail(f"{incomplete} threads incomplete (a page failed, or the crawl ended early)")


@monitors.name("markup")
class MarkupUnchanged(_CrawlMonitor):
    @monitors.name("markup")
    def test_markup(self):
        """Pages have the shape the parser knows: thread pages hold posts, posts have their
        author, time and id, the forum list and indexes list something."""
        signs = {
            "thread pages without posts": self.stat("thread_page/no_posts"),
            "posts missing a required field": self.stat("posts/missing_field"),
            "empty forum lists": self.stat("forum_list/empty"),
            "index pages without threads": self.stat("index/no_rows"),
            # The page looked like it needed JavaScript, and did not look right after it either.
            "pages unreadable even in a browser": self.stat("rendering/failed"),
        }
        allowed = self.settings.getint(
            "TLCRAWL_MAX_PAGES_WITHOUT_POSTS", defaults.MAX_PAGES_WITHOUT_POSTS
        )
        found = {what: count for what, count in signs.items() if count}
        if sum(found.values()) > allowed:
            what = ", ".join(f"{count} {name}" for name, count in found.items())
            self.fail(f"the site's markup looks changed: {what}")


@monitors.name("quotes")
class QuotesResolved(_CrawlMonitor):
    @monitors.name("quotes_resolved")
    def test_quotes_resolved(self):
        """The share of quotes traced to their post is not more than
        TLCRAWL_MAX_QUOTES_RESOLVED_DROP below the previous crawl of the same scope."""
        share = history.resolved_share(self.data.stats)
        previous = history.previous_summary(self.data.crawler)
        before = previous.get("quotes_resolved_share") if previous else None
        if share is None or before is None:
            return  # too few quotes in this or the previous crawl to compare
        drop = self.settings.getfloat(
            "TLCRAWL_MAX_QUOTES_RESOLVED_DROP", defaults.MAX_QUOTES_RESOLVED_DROP
        )
        if share < before - drop:
            self.fail(
                f"{share:.1%} of quotes resolved, down from {before:.1%} in the previous crawl "
                f"({previous.get('finished_at')})"
            )


class CrawlChecks(MonitorSuite):
    monitors = [CrawlEnded, PostsStored, MarkupUnchanged, QuotesResolved]
    monitors_finished_actions = [RecordResults]  # stats, report, the crawl's summary
    monitors_failed_actions = [NotifyWebhook]
