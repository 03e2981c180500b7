"""Spidermon actions run after the checks: record the results, notify when one failed."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import UTC, datetime

from spidermon import settings as spidermon_settings
from spidermon.core.actions import Action
from spidermon.exceptions import SkipAction

from tlcrawl import defaults
from tlcrawl.monitoring import history
from tlcrawl.monitoring.report import (
    FIGURES,
    CheckResult,
    faults,
    report_paths,
    write_report,
)
from tlcrawl.monitoring.verdict import (
    CHECKS_FAILED_PREFIX,
    REPORT_STAT,
    crawl_verdict,
    expected_finish_reasons,
)

logger = logging.getLogger(__name__)


def _failure(result) -> str | None:
    if result.status not in spidermon_settings.MONITOR.STATUSES.ERROR:
        return None
    lines = [line for line in (result.error or "").strip().splitlines() if line.strip()]
    return lines[-1].removeprefix("AssertionError: ") if lines else result.status


class RecordResults(Action):
    """The checks' results into the stats (checks/passed, checks/failed/<check>: its reason), the
    report files, and the crawl's summary for the next crawl to compare with."""

    def run_action(self):
        crawler = self.data.crawler
        checks = [
            CheckResult(
                r.item.method_name, " ".join(r.item.method_description.split()), _failure(r)
            )
            for r in self.result.monitor_results
        ]
        for check in checks:
            if check.passed:
                crawler.stats.inc_value("checks/passed")
            else:
                crawler.stats.set_value(CHECKS_FAILED_PREFIX + check.name, check.failure)
        spider = crawler.spider
        markdown, data = report_paths(
            crawler.settings.get("TLCRAWL_REPORT_DIR") or defaults.REPORT_DIR,
            spider.name,
            getattr(spider, "_job", None),  # Scrapyd's job id
        )
        crawler.stats.set_value(REPORT_STAT, str(markdown))
        stats = crawler.stats.get_stats()
        summary = self._summary(crawler, stats, checks)
        write_report({**summary, "stats": stats}, markdown, data)
        history.save_summary(crawler, summary)
        logger.info("Crawl report: %s (%s)", markdown, summary["verdict"])

    def _summary(self, crawler, stats, checks) -> dict:
        verdict = crawl_verdict(stats, expected_finish_reasons(crawler.settings))
        started = stats.get("start_time")
        finished = stats.get("finish_time") or datetime.now(UTC)
        previous = history.previous_summary(crawler)
        return {
            "spider": crawler.spider.name,
            "job": getattr(crawler.spider, "_job", None),
            "scope": history.crawl_scope(crawler),
            "started_at": started,
            "finished_at": finished,
            "elapsed_seconds": stats.get("elapsed_time_seconds", 0.0),
            "finish_reason": stats.get("finish_reason"),
            "exit_code": verdict.code,
            "verdict": verdict.reason,
            "checks": [vars(check) for check in checks],
            "figures": {label: stats.get(key, 0) for label, key in FIGURES},
            "faults": faults(stats),
            "quotes_resolved_share": history.resolved_share(stats),
            "previous_quotes_share": previous.get("quotes_resolved_share") if previous else None,
        }


class NotifyWebhook(Action):
    """POST the verdict as JSON ({"text": ...}, as Slack-style incoming webhooks take it) to
    TLCRAWL_NOTIFY_WEBHOOK when a check failed. The URL is a secret: never logged."""

    def __init__(self, url: str = "", timeout: float = 10):
        super().__init__()
        self.url, self.timeout = url, timeout

    @classmethod
    def from_crawler_kwargs(cls, crawler):
        return {"url": crawler.settings.get("TLCRAWL_NOTIFY_WEBHOOK") or ""}

    def run_action(self):
        if not self.url:
            raise SkipAction("TLCRAWL_NOTIFY_WEBHOOK is not set")
        crawler = self.data.crawler
        stats = crawler.stats.get_stats()
        verdict = crawl_verdict(stats, expected_finish_reasons(crawler.settings))
        body = {
            "text": f"tlcrawl: {history.crawl_scope(crawler)}: {verdict.reason}",
            "exit_code": verdict.code,
            "job": getattr(crawler.spider, "_job", None),
            "report": stats.get(REPORT_STAT),
        }
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", None) or getattr(error, "code", None) or error
            logger.warning("The failure notification was not delivered: %s", reason)
            crawler.stats.inc_value("checks/notify_failed")
            return
        crawler.stats.inc_value("checks/notified")
