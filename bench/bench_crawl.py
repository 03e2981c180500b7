"""Benchmark: crawl the replica forum and print pages/s and posts/s (figures, not a test).

    .venv/bin/python bench/bench_crawl.py [--forums 4] [--threads-per-forum 250] [--mongo]

Starts the replica (and, with --mongo, a local MongoDB server), crawls it with the real `threads`
spider and pipelines in this process, and prints the crawl's rates. Politeness delays are off: this
measures the crawler, not the site.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scrapy.crawler import CrawlerProcess

from tests.crawling import crawl_settings
from tests.servers import running, start_mongo, start_replica
from tlcrawl.spiders.threads import ThreadsSpider


def run(base_url: str, mongo_url: str) -> dict:
    settings = crawl_settings(
        MONGODB_URI=mongo_url, MONGODB_DATABASE="bench", LOG_LEVEL="WARNING", CONCURRENT_REQUESTS=16
    )
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(ThreadsSpider)
    process.crawl(crawler, base_url=base_url)
    started = time.perf_counter()
    process.start()
    stats = crawler.stats.get_stats()
    stats["elapsed"] = time.perf_counter() - started
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--forums", default="4")
    parser.add_argument("--threads-per-forum", default="250")
    parser.add_argument("--mongo", action="store_true", help="write to a local MongoDB server too")
    options = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-crawl-"))
    replica_args = ["--forums", options.forums, "--threads-per-forum", options.threads_per_forum]
    with running(start_replica(tmp / "replica.log", *replica_args)) as replica:
        if options.mongo:
            with running(start_mongo(":memory:", tmp / "mongo.log")) as mongo:
                stats = run(replica.url, mongo.url)
        else:
            stats = run(replica.url, "")
    elapsed = stats["elapsed"]
    pages = stats.get("response_received_count", 0)
    posts = stats.get("posts/yielded", 0)
    print(f"replica: {' '.join(replica_args)}; MongoDB writer {'on' if options.mongo else 'off'}")
    print(f"responses: {pages:,}  posts: {posts:,}  elapsed: {elapsed:.1f} s")
    print(f"pages/s: {pages / elapsed:.1f}")
    print(f"posts/s: {posts / elapsed:.1f}")
    print(f"threads held in memory at once (max): {stats.get('threads/max_in_flight', 0)}")
    print(f"errors: {stats.get('log_count/ERROR', 0)}")


if __name__ == "__main__":
    main()
