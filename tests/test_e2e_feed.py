"""`scrapy crawl threads` as a user runs it, without MongoDB: items land in a feed file."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.crawling import scrapy_args
from tests.servers import ROOT
from tests.support import replica_truth
from tests.truth import by_type, seed_thread

SMALL = ("--forums", "1", "--threads-per-forum", "4")


def test_feed_export_without_mongodb(replica, tmp_path):
    server = replica(*SMALL)
    truth = replica_truth(*SMALL, base_url=server.url)
    seed, _ = seed_thread(truth)
    out, log = tmp_path / "items.jsonl", tmp_path / "crawl.log"
    args = [sys.executable, "-m", "scrapy", "crawl", "threads", "-a", f"thread_url={seed['url']}"]
    args += ["-s", "MONGODB_URI=", "-O", str(out), "-s", f"LOG_FILE={log}", *scrapy_args()]
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"}
    subprocess.run(args, cwd=ROOT, env=env, check=True, timeout=300)

    lines = out.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    posts = [r for r in records if "posted_at" in r and "thread_id" in r]
    assert sorted(p["_id"] for p in posts) == sorted(
        p["_id"] for p in by_type(truth, "post").values() if p["thread_id"] == seed["_id"]
    )
    third = next(p for p in posts if p["number"] == 3)
    assert third["quotes"][0]["parent_id"] == next(p["_id"] for p in posts if p["number"] == 2)
    assert "MongoWriterPipeline: MONGODB_URI is empty" in log.read_text()
    assert "log_count/ERROR" not in log.read_text()
