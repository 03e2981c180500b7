"""`scrapy crawl threads` as real processes (as cron, systemd or Scrapyd run it), for tests that
kill them, and the requests each one made, read from its log."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tests.crawling import FAST_LOCAL_CRAWL, REPORT_DIR, WARC_DIR
from tests.servers import ROOT
from tlcrawl.logformatter import LogFormatter
from tlcrawl.parsing.urls import parse_thread_url

# The local replica's fast settings; one line per response in the log (to count requests), and
# not the item behind each of the thousands of "Scraped from" lines (a crawl of the 200-thread
# forum logged 28 MB of them; formatting them cost about a third of the crawl's CPU time).
FAST = {
    **{name: str(value) for name, value in FAST_LOCAL_CRAWL.items()},
    "LOG_LEVEL": "DEBUG",
    "LOG_FORMATTER": "tests.process_crawls.ResponsesLogFormatter",
    "MONGODB_FLUSH_SECONDS": "0.5",
    "TLCRAWL_REPORT_DIR": REPORT_DIR,
    "TLCRAWL_WARC_DIR": WARC_DIR,
}
_RESPONSE = re.compile(r"Crawled \((\d+)\) <GET ([^ >]+)>")


def crawl_command(log: Path, settings: dict[str, str], **spider_args: str) -> list[str]:
    args = [sys.executable, "-m", "scrapy", "crawl", "threads", "-s", f"LOG_FILE={log}"]
    for name, value in {**FAST, **settings}.items():
        args += ["-s", f"{name}={value}"]
    for name, value in spider_args.items():
        args += ["-a", f"{name}={value}"]
    return args


def start_crawl(log: Path, settings: dict[str, str], **spider_args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "TLCRAWL_"))}
    return subprocess.Popen(
        crawl_command(log, settings, **spider_args),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def kill_when(process: subprocess.Popen, ready: Callable[[], bool], timeout: float = 300) -> bool:
    """kill -9 the crawl once `ready()` is true; False if it ended on its own first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if ready():
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    raise TimeoutError("the crawl neither reached the kill point nor ended")


def requests_made(log: Path) -> Counter:
    """Responses a crawl received, by kind: thread pages and the rest (forum list, indexes,
    robots.txt). A killed crawl's log holds every response it got up to the kill."""
    return Counter("thread_pages" if _thread_page(url) else "other" for url in _responded(log))


def thread_pages_fetched(log: Path) -> list[tuple[int, int]]:
    """(thread id, page) of every thread page a crawl received, in the order of its log."""
    return [page for url in _responded(log) if (page := _thread_page(url)) is not None]


def _responded(log: Path) -> list[str]:
    """The URL of every response in a crawl's log, in order."""
    return [url for _status, url in _RESPONSE.findall(log.read_text(errors="replace"))]


def _thread_page(url: str) -> tuple[int, int] | None:
    ref = parse_thread_url(url)
    return (ref.thread_id, ref.page) if ref is not None and ref.thread_id is not None else None


class ResponsesLogFormatter(LogFormatter):
    """The project's log formatter (a "Crawled (200) <GET url>" line per response at DEBUG),
    without the per-item "Scraped from" records: the tests count responses, never items."""

    def scraped(self, item, response, spider):
        return None
