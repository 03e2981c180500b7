"""Benchmark: posts written through the crawl's MongoDB pipeline vs a bare `bulk_write`.

Starts its own secantusdb, generates N post items shaped like real ones, and writes them
(a) through `MongoWriterPipeline` (item -> document -> buffered upserts on the worker thread,
timed until everything is flushed) and (b) with bare `bulk_write(ordered=False)` calls of the
same `UpdateOne` upserts (built before the clock starts), in the same batch size, each into a
fresh database on the same server. Prints both rates and their ratio.

    .venv/bin/python -m bench.bench_storage [--posts 20000] [--batch-size 500]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymongo
from scrapy import Spider
from scrapy.utils.test import get_crawler

from tests.servers import start_mongo
from tlcrawl.items import PostItem
from tlcrawl.pipelines.mongo_writer import MongoWriterPipeline
from tlcrawl.storage.documents import content_hash, item_to_document, to_update
from tlcrawl.storage.schema import POSTS, ensure_indexes

WORDS = ["the", "zerg", "protoss", "terran", "build", "order", "macro", "micro", "game", "patch"]
T0 = datetime(2012, 4, 21, 10, 56, tzinfo=UTC)


class BenchSpider(Spider):
    name = "bench"


def make_posts(count: int, seed: int = 1) -> list[PostItem]:
    rng = random.Random(seed)
    posts = []
    for i in range(count):
        text = "\n".join(
            " ".join(rng.choices(WORDS, k=rng.randint(5, 25))) for _ in range(rng.randint(1, 8))
        )
        quote = {"author": f"user{i % 97}", "quoted_at": T0, "text": text[:80], "parent_id": i - 1}
        posts.append(
            PostItem(
                _id=1_000_000 + i,
                thread_id=10_000 + i // 20,
                forum="games",
                page=i % 20 // 20 + 1,
                number=i % 20 + 1,
                url=f"https://tl.net/forum/viewpost.php?post_id={1_000_000 + i}",
                author=f"user{i % 311}",
                posted_at=T0 + timedelta(minutes=i),
                html="<p>" + text.replace("\n", "<br>") + "</p>",
                text=text,
                quotes=[{**quote, "confidence": 1.0, "quotes": []}] if i % 3 == 0 else [],
                reply_to=[i - 1] if i % 3 == 0 else [],
                signature="my sig" if i % 5 == 0 else None,
                links=[f"https://example.com/{i}"] if i % 4 == 0 else [],
                content_hash=content_hash(text),
            )
        )
    return posts


async def write_through_pipeline(url: str, db: str, posts: list[PostItem], batch: int) -> float:
    settings = {"MONGODB_URI": url, "MONGODB_DATABASE": db, "MONGODB_BATCH_SIZE": batch}
    crawler = get_crawler(BenchSpider, settings)
    crawler.spider = crawler._create_spider()
    pipeline = MongoWriterPipeline.from_crawler(crawler)
    await pipeline.open_spider()  # indexes are created here, before the clock starts
    start = time.perf_counter()
    for post in posts:
        await pipeline.process_item(post)
    await pipeline.close_spider()
    elapsed = time.perf_counter() - start
    assert not crawler.stats.get_value("mongodb/dead_letter"), "writes failed"
    return elapsed


def write_bare(client: pymongo.MongoClient, db: str, posts: list[PostItem], batch: int) -> float:
    ensure_indexes(client[db])
    stamped = datetime.now(UTC)
    docs = [item_to_document(post)[1] | {"crawled_at": stamped} for post in posts]
    ops = [to_update(POSTS, doc) for doc in docs]
    collection = client[db][POSTS]
    start = time.perf_counter()
    for i in range(0, len(ops), batch):
        collection.bulk_write(ops[i : i + batch], ordered=False)
    return time.perf_counter() - start


def run_round(url: str, client: pymongo.MongoClient, posts, batch: int, bare_first: bool):
    """(pipeline seconds, bare seconds), each into a fresh database, dropped afterwards."""
    runs = {
        "pipeline": lambda: asyncio.run(
            write_through_pipeline(url, "bench_pipeline", posts, batch)
        ),
        "bare": lambda: write_bare(client, "bench_bare", posts, batch),
    }
    order = ["bare", "pipeline"] if bare_first else ["pipeline", "bare"]
    seconds = {name: runs[name]() for name in order}
    for db in ("bench_pipeline", "bench_bare"):
        assert client[db][POSTS].count_documents({}) == len(posts), db
        client.drop_database(db)
    return seconds["pipeline"], seconds["bare"]


def measure(n: int, batch: int, rounds: int, show=lambda line: None) -> tuple[float, float]:
    """Total (pipeline seconds, bare seconds) over `rounds` rounds alternating which goes first."""
    posts = make_posts(n)
    totals = [0.0, 0.0]
    with tempfile.TemporaryDirectory() as tmp:
        server = start_mongo(Path(tmp) / "data", Path(tmp) / "mongo.log")
        client = pymongo.MongoClient(server.url, tz_aware=True)
        try:
            for round_ in range(rounds):
                piped, bare = run_round(server.url, client, posts, batch, round_ % 2 == 1)
                totals = [totals[0] + piped, totals[1] + bare]
                show(
                    f"round {round_ + 1}: pipeline {n / piped:6.0f} docs/s, "
                    f"bare bulk_write {n / bare:6.0f} docs/s, ratio {bare / piped:.2f}"
                )
        finally:
            client.close()
            server.stop()
    return totals[0], totals[1]


def run(n: int = 5000, batch: int = 500, rounds: int = 2) -> dict[str, float]:
    """For bench/run_all.py: the writer pipeline's docs/s against bare bulk_write's."""
    piped, bare = measure(n, batch, rounds)
    return {
        "pipeline_docs_per_s": round(n * rounds / piped),
        "bare_bulk_write_docs_per_s": round(n * rounds / bare),
        "pipeline_over_bare": round(bare / piped, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2, help="alternating which goes first")
    args = parser.parse_args()
    n = args.posts
    print(f"posts: {n}, batch size: {args.batch_size}, load average: {os.getloadavg()[0]:.1f}")
    piped, bare = measure(n, args.batch_size, args.rounds, show=print)
    print(f"pipeline:        {n * args.rounds / piped:6.0f} docs/s")
    print(f"bare bulk_write: {n * args.rounds / bare:6.0f} docs/s")
    print(f"ratio pipeline/bare: {bare / piped:.2f}")


if __name__ == "__main__":
    main()
