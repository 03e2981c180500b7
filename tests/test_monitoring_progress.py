"""Progress lines while a crawl runs: threads done / known, pages, posts, rate, errors and an
estimate of the time left that converges on the real end (a real `scrapy crawl` of the replica,
slowed down so that it lasts several progress intervals)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.crawling import scrapy_args
from tests.servers import ROOT
from tlcrawl.monitoring.progress import ProgressLog

SLOW = ("--forums", "2", "--threads-per-forum", "10", "--long-pages", "0")
SLOW += ("--slow-rate", "0.5", "--slow-seconds", "0.4")
LEFT = re.compile(r"about (\d+):(\d\d):(\d\d) left$")
LINE = re.compile(
    r"^(?P<at>\d+\.\d+) Progress: threads (?P<done>\d+)/(?P<known>\d+) done.*?, "
    r"(?P<pages>\d+) pages, (?P<posts>\d+) posts, [\d.]+ requests/s, (?P<errors>\d+) errors, "
    r"about (?P<h>\d+):(?P<m>\d\d):(?P<s>\d\d) left$"
)


def test_progress_lines_estimate_the_end_of_the_crawl(replica, tmp_path):
    server = replica(*SLOW)
    command = [sys.executable, "-m", "scrapy", "crawl", "threads", "-a", f"base_url={server.url}"]
    # One request at a time (after FAST_LOCAL_CRAWL's per-site 16): a steady rate to estimate from.
    command += [
        *scrapy_args(),
        "-s",
        "CONCURRENT_REQUESTS=1",
        "-s",
        "TLCRAWL_PROGRESS_INTERVAL=0.5",
    ]
    command += ["-s", "LOG_FORMAT=%(created).3f %(message)s"]  # sub-second times to compare
    env = dict(os.environ, MONGODB_URI="", TLCRAWL_REPORT_DIR=str(tmp_path))
    process = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert process.returncode == 0, process.stderr[-3000:]
    lines = process.stderr.splitlines()
    (opened,) = [float(line.split()[0]) for line in lines if line.endswith(" Spider opened")]
    (end,) = [
        float(line.split()[0]) for line in lines if line.endswith("Closing spider (finished)")
    ]
    progress = [match for line in lines if (match := LINE.match(line))]
    assert len(progress) >= 6, "a line every 0.5 s"
    assert [int(m["errors"]) for m in progress] == [0] * len(progress)
    assert [int(m["posts"]) for m in progress] == sorted(int(m["posts"]) for m in progress)
    final_known = int(progress[-1]["known"])
    assert final_known == 20
    duration = end - opened
    late = [m for m in progress if int(m["done"]) * 2 >= final_known]
    assert late, "lines in the second half of the crawl"
    for match in late:
        left = int(match["h"]) * 3600 + int(match["m"]) * 60 + int(match["s"])
        predicted_end = float(match["at"]) + left
        # Real time on a shared machine: only roughly (the estimator's convergence is tested
        # on a simulated clock below).
        assert abs(predicted_end - end) <= max(3.0, duration / 2), (match.string, end)


class _Stats(dict):
    def get_value(self, key, default=None):
        return self.get(key, default)


class _Crawler:
    def __init__(self):
        self.stats = _Stats()


def test_the_estimate_converges_on_the_end_after_a_slow_start():
    # 100 threads: the first 10 take 50 s (indexes, database), then one a second.
    crawler = _Crawler()
    crawler.stats["threads/expected"] = 100
    progress = ProgressLog(crawler, interval=5)
    progress.started = 0.0
    done_at = [5.0 * n for n in range(1, 11)] + [50.0 + n for n in range(1, 91)]
    end = done_at[-1]
    errors = []
    for now in range(5, 141, 5):
        crawler.stats["threads/completed"] = sum(1 for t in done_at if t <= now)
        line = progress.line(float(now))
        h, m, s = LEFT.search(line).groups()
        errors.append(abs(now + int(h) * 3600 + int(m) * 60 + int(s) - end))
    late = errors[len(errors) // 2 :]
    assert max(late) <= 10, errors  # within two progress lines once the pace is steady
    assert errors[-1] < errors[len(errors) // 4], "it converges"
