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
    # (label, short name for run_all, replica options, render argument)
    ("plain site, render=never", "plain_never", (), "never"),
    ("plain site, render=auto", "plain_auto", (), "auto"),
    ("plain site, render=always", "plain_always", (), "always"),
    ("--js-challenge, render=auto", "challenge_auto", ("--js-challenge",), "auto"),
    ("--js-render, render=auto", "script_posts_auto", ("--js-render",), "auto"),
    (
        "--js-challenge --js-render, render=always",
        "both_always",
        ("--js-challenge", "--js-render"),
        "always",
    ),
]
SIZE = ("--forums", "2", "--threads-per-forum", "20", "--long-pages", "10")
# run_all's smaller replica: six crawls, four of them with a browser.
RUN_ALL_SIZE = ("--forums", "1", "--threads-per-forum", "10", "--long-pages", "3")


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


def measure(size: tuple[str, ...], repeat: int = 1) -> list[tuple[str, str, dict, float | None]]:
    """(label, name, fastest crawl's figures, added seconds per rendered page) per scenario."""
    rows = []
    baseline = None
    with tempfile.TemporaryDirectory() as logs:
        for label, name, options, render in SCENARIOS:
            runs = []
            for attempt in range(repeat):
                log = Path(logs) / f"{name}-{attempt}.log"
                runs.append(run_scenario(log, (*size, *options), render))
            r = min(runs, key=lambda run: run["seconds"])
            baseline = r["seconds"] if baseline is None else baseline  # the first: plain, never
            added = (r["seconds"] - baseline) / r["rendered"] if r["rendered"] else None
            rows.append((label, name, r, added))
    return rows


def run() -> dict[str, float]:
    """For bench/run_all.py: each scenario's crawl time against render=never on the plain site."""
    figures: dict[str, float] = {}
    rows = measure(RUN_ALL_SIZE)
    never = rows[0][2]["seconds"]
    for _, name, r, added in rows:
        figures[f"{name}_seconds"] = round(r["seconds"], 2)
        if name != "plain_never":
            figures[f"{name}_over_never"] = round(r["seconds"] / never, 2)
        if added is not None:
            figures[f"{name}_added_s_per_rendered_page"] = round(added, 3)
        if r["errors"] + r["failed"]:
            raise RuntimeError(f"{name}: {r['errors']} errors, {r['failed']} failed renders")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--forums", default=SIZE[1])
    parser.add_argument("--threads-per-forum", default=SIZE[3])
    parser.add_argument("--long-pages", default=SIZE[5])
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
    for label, _, r, added in measure(size, args.repeat):
        latency = r["browser_seconds_per_page"]
        print(
            f"{label:<45}{r['seconds']:>8.2f}{r['responses']:>7}{r['rendered']:>9}"
            f"{r['challenges']:>11}{_seconds(latency):>9}{_seconds(added):>11}"
            f"{r['errors'] + r['failed']:>7}"
        )


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    main()
