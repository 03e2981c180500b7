"""Progress lines while a crawl runs: threads done / known, pages, posts, rate, errors and an
estimate of the time left that converges on the real end (a real `scrapy crawl` of the replica,
slowed down so that it lasts several progress intervals)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.servers import ROOT

SLOW = ("--forums", "2", "--threads-per-forum", "10", "--long-pages", "0")
SLOW += ("--slow-rate", "0.5", "--slow-seconds", "0.4")
LINE = re.compile(
    r"^(?P<at>\d+\.\d+) Progress: threads (?P<done>\d+)/(?P<known>\d+) done.*?, "
    r"(?P<pages>\d+) pages, (?P<posts>\d+) posts, [\d.]+ requests/s, (?P<errors>\d+) errors, "
    r"about (?P<h>\d+):(?P<m>\d\d):(?P<s>\d\d) left$"
)


def test_progress_lines_estimate_the_end_of_the_crawl(replica, tmp_path):
    server = replica(*SLOW)
    command = [sys.executable, "-m", "scrapy", "crawl", "threads", "-a", f"base_url={server.url}"]
    command += ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0"]
    command += ["-s", "CONCURRENT_REQUESTS=1", "-s", "TLCRAWL_PROGRESS_INTERVAL=0.5"]
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
        # Whole seconds in the line, plus the interval between lines: within 2 s or a quarter.
        assert abs(predicted_end - end) <= max(2.0, duration / 4), (match.string, end)
