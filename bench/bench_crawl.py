"""Crawl speed against Scrapy's own ceiling on this machine, measured side by side.

    .venv/bin/python -m bench.bench_crawl [--forums 4] [--threads-per-forum 250] [--mongo]

Crawls the replica forum with `scrapy crawl threads` as a user runs it, items to a feed file (with
--mongo, into a local MongoDB server too), politeness off (tests/crawling.py FAST_LOCAL_CRAWL:
this measures the crawler, not the site). In the same run, `scrapy bench` (a spider that follows
links and parses nothing, against Scrapy's own local server) gives the pages/s this machine can do
at all; the ratio of the two is the figure to watch. `scrapy bench` runs outside the project
directory, or it would pick up the project's settings, once just before the crawl and once just
after (20 s each rather than its default 10 s, closer to the crawl's length); their sums count.
Rates come from each crawl's own stats (response_received_count / elapsed_time_seconds), so
process start-up is left out of both.

On a machine shared with other work the wall-clock rates drop with its load, and not equally for
both (the crawl shares the CPU with the replica's server). So each crawl process's own CPU time
from "Spider opened" to its end is reported too (start-up and the servers left out): pages per
CPU second compare the two crawls' work per page whatever the load.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.crawling import scrapy_args
from tests.servers import ROOT, running, start_mongo, start_replica

FULL_SIZE = ("--forums", "4", "--threads-per-forum", "250")  # about 3,300 pages, 51,600 posts
TARGETS = {"crawl_over_scrapy_bench": (">=", 0.8)}
BENCH_SECONDS = 20
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def stat(log: str, name: str, default: float | None = None) -> float:
    """A value from the stats Scrapy dumps at the end of a crawl's log."""
    found = re.findall(rf"'{re.escape(name)}': ([\d.]+)", log)
    if found:
        return float(found[-1])
    if default is None:
        raise RuntimeError(f"no {name!r} in the crawl's stats:\n{log[-3000:]}")
    return default


def run_crawl_process(args: list[str], cwd: Path, env: dict, log: Path) -> tuple[str, float]:
    """Run a crawl process logging to `log`; its log and its own CPU seconds from "Spider opened"
    to its end (sampled every 0.1 s from /proc: start-up, servers and children are left out)."""
    with log.open("ab") as sink:
        process = subprocess.Popen(args, cwd=cwd, env=env, stdout=sink, stderr=sink)
    opened = last = None
    while process.poll() is None:
        last = _cpu_of(process.pid) or last
        if opened is None and last is not None and b"Spider opened" in log.read_bytes():
            opened = last
        time.sleep(0.1)
    text = log.read_text(encoding="utf-8", errors="replace")
    if process.returncode != 0 or opened is None or last is None:
        raise RuntimeError(f"{args[3]} failed (exit {process.returncode}):\n{text[-3000:]}")
    return text, last - opened


def _cpu_of(pid: int) -> float | None:
    """User + system CPU seconds of one process (not its children), or None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def crawl_feed(base_url: str, tmp: Path, mongo_url: str = "") -> dict[str, float]:
    """`scrapy crawl threads` of the replica into a feed file; its pages/s and posts/s."""
    log, feed = tmp / "crawl.log", tmp / "items.jsonl"
    args = [sys.executable, "-m", "scrapy", "crawl", "threads", "-a", f"base_url={base_url}"]
    args += ["-O", str(feed), "-s", f"MONGODB_URI={mongo_url}"]
    args += ["-s", "MONGODB_DATABASE=bench", *scrapy_args()]
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "TLCRAWL_LOG_LEVEL")}
    text, cpu = run_crawl_process(args, ROOT, env, log)
    if "log_count/ERROR" in text:
        raise RuntimeError(f"the crawl logged errors:\n{text[-3000:]}")
    return {
        "pages": stat(text, "response_received_count"),
        "posts": stat(text, "posts/yielded"),
        "seconds": stat(text, "elapsed_time_seconds"),
        "cpu_seconds": cpu,
        "threads_max_in_flight": stat(text, "threads/max_in_flight", 0),
    }


def scrapy_bench(tmp: Path) -> dict[str, float]:
    """`scrapy bench` from a directory outside the project: Scrapy's own pages/s here."""
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    args = [sys.executable, "-m", "scrapy", "bench", "-s", f"CLOSESPIDER_TIMEOUT={BENCH_SECONDS}"]
    log = tmp / f"scrapy-bench-{time.monotonic_ns()}.log"
    text, cpu = run_crawl_process(args, tmp, env, log)
    return {
        "pages": stat(text, "response_received_count"),
        "seconds": stat(text, "elapsed_time_seconds"),
        "cpu_seconds": cpu,
    }


def run(replica_options: tuple[str, ...] = FULL_SIZE, mongo: bool = False) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as name:
        tmp = Path(name)
        before = scrapy_bench(tmp)
        with running(start_replica(tmp / "replica.log", *replica_options)) as replica:
            if mongo:
                with running(start_mongo(":memory:", tmp / "mongo.log")) as server:
                    crawl = crawl_feed(replica.url, tmp, server.url)
            else:
                crawl = crawl_feed(replica.url, tmp)
        after = scrapy_bench(tmp)
    bench = {key: before[key] + after[key] for key in before}
    crawl_rate = crawl["pages"] / crawl["seconds"]
    bench_rate = bench["pages"] / bench["seconds"]
    crawl_per_cpu = crawl["pages"] / crawl["cpu_seconds"]
    bench_per_cpu = bench["pages"] / bench["cpu_seconds"]
    return {
        "crawl_pages": crawl["pages"],
        "crawl_seconds": round(crawl["seconds"], 2),
        "crawl_pages_per_s": round(crawl_rate, 1),
        "crawl_posts_per_s": round(crawl["posts"] / crawl["seconds"], 1),
        "crawl_threads_held_at_once_max": crawl["threads_max_in_flight"],
        "scrapy_bench_pages_per_s": round(bench_rate, 1),
        "crawl_over_scrapy_bench": round(crawl_rate / bench_rate, 3),
        "crawl_pages_per_cpu_s": round(crawl_per_cpu, 1),
        "scrapy_bench_pages_per_cpu_s": round(bench_per_cpu, 1),
        "crawl_over_scrapy_bench_per_cpu_s": round(crawl_per_cpu / bench_per_cpu, 3),
        "load_average": round(os.getloadavg()[0], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forums", default=FULL_SIZE[1])
    parser.add_argument("--threads-per-forum", default=FULL_SIZE[3])
    parser.add_argument("--mongo", action="store_true", help="write to a local MongoDB server too")
    options = parser.parse_args()
    replica = ("--forums", options.forums, "--threads-per-forum", options.threads_per_forum)
    print(f"replica: {' '.join(replica)}; MongoDB writer {'on' if options.mongo else 'off'}")
    for name, value in run(replica, options.mongo).items():
        print(f"{name:<28}{value:>10}")


if __name__ == "__main__":
    main()
