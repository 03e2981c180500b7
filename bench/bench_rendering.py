"""Time crawls of the replica per render mode: total time, rendered pages, time per rendered page.

    .venv/bin/python -m bench.bench_rendering [--forums 2 --threads-per-forum 20 --long-pages 10]

Each crawl runs in its own process (one reactor per process), against its own replica. "latency"
is the mean time from sending a page to the browser to having its HTML (scrapy-playwright's
download_latency: navigation, scripts, waiting for the page to settle; pages overlap, up to
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT at once). "added/page" is the crawl's extra time over the
render=never crawl of the plain site, per rendered page: what rendering costs in throughput.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.servers import ROOT, start_replica

SCENARIOS = [
    # (label, replica options, render argument)
    ("plain site, render=never", (), "never"),
    ("plain site, render=auto", (), "auto"),
    ("plain site, render=always", (), "always"),
    ("--js-challenge, render=auto", ("--js-challenge",), "auto"),
    ("--js-render, render=auto", ("--js-render",), "auto"),
    ("--js-challenge --js-render, render=always", ("--js-challenge", "--js-render"), "always"),
]


def one_crawl(base_url: str, render: str) -> dict:
    """Run one crawl in this process; return its figures."""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from tests.crawling import crawl_settings
    from tlcrawl.spiders.threads import ThreadsSpider

    latencies: list[float] = []

    class Recorder:
        def response_received(self, response, request, spider):
            if "playwright" in response.flags:
                latencies.append(request.meta.get("download_latency", 0.0))

    recorder = Recorder()
    process = CrawlerProcess(crawl_settings(LOG_LEVEL="WARNING"), install_root_handler=True)
    crawler = process.create_crawler(ThreadsSpider)
    crawler.signals.connect(recorder.response_received, signal=signals.response_received)
    started = time.perf_counter()
    process.crawl(crawler, base_url=base_url, render=render)
    process.start()
    elapsed = time.perf_counter() - started
    stats = crawler.stats.get_stats()
    return {
        "seconds": elapsed,
        "responses": stats.get("response_received_count", 0),
        "posts": stats.get("item_scraped_count", 0),
        "rendered": stats.get("rendering/pages", 0),
        "challenges": stats.get("rendering/challenges", 0),
        "failed": stats.get("rendering/failed", 0),
        "errors": stats.get("log_count/ERROR", 0),
        "browser_seconds_per_page": statistics.mean(latencies) if latencies else None,
    }


def run_scenario(log: Path, options: tuple[str, ...], render: str) -> dict:
    """A fresh replica (a challenge is met again) and one crawl in a child process."""
    server = start_replica(log, *options)
    try:
        command = [sys.executable, "-m", "bench.bench_rendering", "--one", server.url, render]
        out = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    finally:
        server.stop()
    return json.loads(out.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--forums", default="2")
    parser.add_argument("--threads-per-forum", default="20")
    parser.add_argument("--long-pages", default="10")
    parser.add_argument(
        "--repeat", type=int, default=1, help="crawls per scenario; the fastest counts"
    )
    parser.add_argument("--one", nargs=2, metavar=("BASE_URL", "RENDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_crawl(*args.one)))
        return
    size = ("--forums", args.forums, "--threads-per-forum", args.threads_per_forum)
    size += ("--long-pages", args.long_pages)
    print(f"replica {' '.join(size)}")
    header = f"{'scenario':<45}{'total s':>8}{'pages':>7}{'rendered':>9}{'challenges':>11}"
    print(header + f"{'latency':>9}{'added/page':>11}{'errors':>7}")
    baseline = None
    with tempfile.TemporaryDirectory() as logs:
        for label, options, render in SCENARIOS:
            runs = []
            for attempt in range(args.repeat):
                log = Path(logs) / f"{len(label)}-{attempt}.log"
                runs.append(run_scenario(log, (*size, *options), render))
            r = min(runs, key=lambda run: run["seconds"])
            baseline = r["seconds"] if baseline is None else baseline  # the first: plain, never
            latency = r["browser_seconds_per_page"]
            added = (r["seconds"] - baseline) / r["rendered"] if r["rendered"] else None
            print(
                f"{label:<45}{r['seconds']:>8.2f}{r['responses']:>7}{r['rendered']:>9}"
                f"{r['challenges']:>11}{_seconds(latency):>9}{_seconds(added):>11}"
                f"{r['errors'] + r['failed']:>7}"
            )


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    main()
