"""Benchmark: what WARC capture costs a crawl, and how fast re-parsing runs (figures, not a test).

    .venv/bin/python bench/bench_warc.py [--forums 2] [--threads-per-forum 60] [--rounds 2]

Starts the replica and measures, side by side in one run:
- crawl pages/s with capture off and on (rounds alternate off/on; the best of each is shown, since
  the machine is shared and the slowest runs measure the neighbours), and the crawl process's CPU
  time per page (reactor plus WARC writer thread), MongoDB writer off: this measures the crawler,
  not the database;
- WARC bytes per page and per post (gzip, request and response records);
- re-parse pages/s of those WARC files (MongoDB writer off, so it is comparable with the next
  figure), next to the rate at which lxml alone builds the trees of the same pages; and the same
  as CPU milliseconds per page (process CPU, start-up included), which the machine's load
  disturbs far less than wall time.
Each crawl runs in its own process (one Scrapy reactor per process). `run()` returns the figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import running, start_replica  # noqa: E402


def _worker(kind: str, target: str, warc_dir: str) -> dict:
    """Run one crawl or re-parse in a child process; return its Scrapy stats."""
    command = [sys.executable, __file__, "--worker", kind, target, warc_dir]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def _crawl_in_this_process(base_url: str, warc_dir: str) -> dict:
    from scrapy.crawler import CrawlerProcess

    from tests.crawling import crawl_settings
    from tlcrawl.spiders.threads import ThreadsSpider

    settings = crawl_settings(
        LOG_LEVEL="WARNING", CONCURRENT_REQUESTS=16, TLCRAWL_WARC_DIR=warc_dir, MONGODB_URI=""
    )
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(ThreadsSpider)
    process.crawl(crawler, base_url=base_url, render="never")
    process.start()
    return crawler.stats.get_stats()


def _reparse_in_this_process(warc_dir: str) -> dict:
    from tlcrawl.warc.reparse import CapturedSite, run
    from tlcrawl.warc.store import WarcStore

    site = CapturedSite(WarcStore.open([warc_dir]))
    return run(site, "", "bench", {"LOG_LEVEL": "WARNING"})


def _tree_build_rate(warc_dir: Path) -> tuple[int, float]:
    """lxml alone on the same pages (newest capture of each URL, decoded as re-parse reads them)."""
    import lxml.html

    from tlcrawl.warc.store import WarcStore

    store = WarcStore.open([warc_dir])
    bodies = [store.read(entry).body for entry in store.entries.values()]
    bodies = [body for body in bodies if body.lstrip()[:1] == b"<"]  # pages, not robots.txt
    started = time.perf_counter()
    for body in bodies:
        lxml.html.document_fromstring(body)
    return len(bodies), len(bodies) / (time.perf_counter() - started)


def _writer_cpu_ms_per_page(warc_dir: Path) -> float:
    """CPU time of the WARC writer thread per page, writing the captured pages again."""
    from tlcrawl.warc.capture import Capture, WarcFileSet, new_record_id
    from tlcrawl.warc.store import WarcStore

    store = WarcStore.open([warc_dir])
    files = WarcFileSet(Path(tempfile.mkdtemp(prefix="bench-warc-writer-")), "bench", 10**9, {})
    captures = []
    for entry in store.entries.values():
        page = store.read(entry)
        headers = [
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in page.headers
        ]
        captures.append(
            Capture(files.name(0), new_record_id(), "2026-01-01T00:00:00.000000Z", entry.url, "GET",
                    [("User-Agent", "tlcrawl")], b"", page.status, headers, page.body, None, None)
        )  # fmt: skip
    before = time.process_time()
    for capture in captures:
        files.put(capture)
    files.close()
    return (time.process_time() - before) * 1000 / len(captures)


def _rate(stats: dict, pages_key: str) -> float:
    return stats.get(pages_key, 0) / stats["elapsed_time_seconds"]


def run(forums: str = "2", threads_per_forum: str = "60", rounds: int = 2) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-warc-"))
    replica_args = ["--forums", forums, "--threads-per-forum", threads_per_forum]
    off, on = [], []
    with running(start_replica(tmp / "replica.log", *replica_args)) as replica:
        for round_ in range(rounds):
            off.append(_worker("crawl", replica.url, ""))
            on.append(_worker("crawl", replica.url, str(tmp / f"warc-{round_}")))
    captured = on[-1]
    warc_dir = tmp / f"warc-{rounds - 1}"
    warc_bytes = sum(path.stat().st_size for path in warc_dir.glob("*.warc.gz"))
    pages = captured["response_received_count"]
    posts = captured["posts/yielded"]
    reparsed = _worker("reparse", str(warc_dir), "")
    tree_pages, tree_rate = _tree_build_rate(warc_dir)
    writer_ms = _writer_cpu_ms_per_page(warc_dir)
    best_off = max(_rate(stats, "response_received_count") for stats in off)
    best_on = max(_rate(stats, "response_received_count") for stats in on)
    cpu_off = min(stats["cpu_seconds"] / stats["response_received_count"] for stats in off)
    cpu_on = min(stats["cpu_seconds"] / stats["response_received_count"] for stats in on)
    return {
        "replica": " ".join(replica_args),
        "pages": pages,
        "posts": posts,
        "crawl_pages_per_s_capture_off": round(best_off, 1),
        "crawl_pages_per_s_capture_on": round(best_on, 1),
        "capture_on_over_off": round(best_on / best_off, 3),
        # CPU time of the crawl process per page (reactor and writer thread): less noisy than
        # wall time on a shared machine.
        "crawl_cpu_ms_per_page_capture_off": round(cpu_off * 1000, 2),
        "crawl_cpu_ms_per_page_capture_on": round(cpu_on * 1000, 2),
        "warc_writer_cpu_ms_per_page": round(writer_ms, 2),
        "warc_files": len(list(warc_dir.glob("*.warc.gz"))),
        "warc_bytes_per_page": round(warc_bytes / pages),
        "warc_bytes_per_post": round(warc_bytes / posts),
        "reparse_pages": reparsed.get("reparse/pages", 0),
        "reparse_posts": reparsed.get("posts/yielded", 0),
        "reparse_pages_per_s": round(_rate(reparsed, "reparse/pages"), 1),
        "reparse_cpu_ms_per_page": round(
            reparsed["cpu_seconds"] * 1000 / reparsed.get("reparse/pages", 1), 2
        ),
        "lxml_tree_pages": tree_pages,
        "lxml_tree_pages_per_s": round(tree_rate, 1),
        "lxml_tree_ms_per_page": round(1000 / tree_rate, 2),
        "reparse_over_lxml": round(_rate(reparsed, "reparse/pages") / tree_rate, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--forums", default="2")
    parser.add_argument("--threads-per-forum", default="60")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "TARGET", "WARC_DIR"))
    options = parser.parse_args()
    if options.worker:
        kind, target, warc_dir = options.worker
        if kind == "crawl":
            stats = _crawl_in_this_process(target, warc_dir)
        else:
            stats = _reparse_in_this_process(target)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        stats["cpu_seconds"] = usage.ru_utime + usage.ru_stime  # the writer thread's too
        print(json.dumps(stats, default=str))
        return
    figures = run(options.forums, options.threads_per_forum, options.rounds)
    for name, value in figures.items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
