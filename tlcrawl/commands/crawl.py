"""`scrapy crawl`, exiting with the crawl's verdict instead of 0 whatever happened.

Scrapy's own command exits 0 after a crawl that fetched nothing, lost documents or never started
(bad arguments end in "Task exception was never retrieved" and a traceback). This one ends every
failure with one line on stderr, `tlcrawl: <why>`, and the exit status of
tlcrawl/monitoring/verdict.py. Scrapyd runs crawls through `scrapy crawl` too, so its jobs get
the same checks.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from tlcrawl import defaults
from tlcrawl.monitoring.report import write_refusal_report
from tlcrawl.monitoring.verdict import BAD_ARGUMENTS, CHECKS_FAILED, Verdict, verdict_of

if TYPE_CHECKING:
    import argparse

logger = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    def short_desc(self) -> str:
        return "Run a spider of the project; exit non-zero if the crawl failed or lost data"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider: scrapy crawl threads [-a name=value ...]")
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        self.start_failure: Verdict | None = None
        task = self.crawler_process.crawl(crawler, **opts.spargs)
        task.add_done_callback(self._note_start_failure)
        self.crawler_process.start()
        verdict = self.start_failure
        if verdict is None and self.crawler_process.bootstrap_failed:
            verdict = Verdict(CHECKS_FAILED, "the crawl could not start; see the log above")
        if verdict is None:
            verdict = verdict_of(crawler)
        self.exitcode = verdict.code
        if verdict is self.start_failure:  # no checks ran: the report says why
            directory = crawler.settings.get("TLCRAWL_REPORT_DIR") or defaults.REPORT_DIR
            write_refusal_report(directory, args[0], opts.spargs.get("_job"), verdict)
        if not verdict.ok:
            print(f"tlcrawl: {verdict.reason}", file=sys.stderr)

    def _note_start_failure(self, task: asyncio.Task) -> None:
        """A crawl that could not start: keep its one-line reason (reading the exception here also
        keeps asyncio from printing it with a traceback)."""
        if task.cancelled() or task.exception() is None:
            return
        error = task.exception()
        code = getattr(error, "exit_code", None)
        if code is None:  # not one of ours: a bug, whose traceback is worth having
            logger.error("The crawl could not start", exc_info=error)
            code = CHECKS_FAILED
        else:  # also in the log file (a Scrapyd job's), where stderr does not go
            logger.error("Refused: %s", error)
        reason = f"bad argument: {error}" if code == BAD_ARGUMENTS else str(error)
        self.start_failure = Verdict(code, reason)
