"""`make demo`: crawl the local replica forum into the local MongoDB server and print a summary.

Starts the replica and the MongoDB wire-protocol server (data kept in ./data/mongo, so a second run
reuses it idempotently and `tlcrawl` can query it later), runs `scrapy crawl threads` exactly as a
user would, reads a summary back from MongoDB, then stops what it started.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pymongo

from tests.crawling import scrapy_args
from tests.servers import ROOT, running, start_mongo, start_replica
from tlcrawl.items import walk_quotes

DATA = ROOT / "data"
DATABASE = "tlcrawl"
# What secantusdb (WiredTiger) logs when another server, such as `make db`, holds the data dir.
STORAGE_BUSY = "already being managed by another process"


def summary(db) -> list[str]:
    seen = resolved = 0
    for post in db.posts.find({}, {"quotes": 1}):
        for quote in walk_quotes(post.get("quotes") or []):
            seen += 1
            resolved += quote.get("parent_id") is not None
    lines = [
        f"{name:>8}: {db[name].count_documents({}):,}"
        for name in ("forums", "threads", "posts", "users")
    ]
    lines.append(f"  quotes: {seen:,} seen, {resolved:,} resolved to the post they quote")
    top = db.posts.aggregate(
        [
            {"$unwind": "$reply_to"},
            {"$group": {"_id": "$reply_to", "quoted": {"$sum": 1}}},
            {"$sort": {"quoted": -1, "_id": 1}},
            {"$limit": 1},
        ]
    )
    for row in top:
        post = db.posts.find_one({"_id": row["_id"]}, {"author": 1, "number": 1, "thread_id": 1})
        lines.append(
            f"  most quoted: post {row['_id']} (#{post['number']} by {post['author']} in thread "
            f"{post['thread_id']}), quoted {row['quoted']} times"
        )
    return lines


def next_steps(db) -> list[str]:
    """Commands to try next, with ids and names taken from the data just crawled."""
    top = next(
        db.posts.aggregate(
            [
                {"$unwind": "$reply_to"},
                {"$group": {"_id": "$reply_to", "quoted": {"$sum": 1}}},
                {"$sort": {"quoted": -1, "_id": 1}},
                {"$limit": 1},
            ]
        ),
        None,
    )
    longest = next(db.threads.find({}, {"pages": 1}).sort([("pages", -1), ("_id", 1)]).limit(1))
    tl = ".venv/bin/tlcrawl"
    lines = [
        "to query it: `make db` (serves data/mongo on 127.0.0.1:27017; leave it running), then:",
        f"  {tl} stats",
    ]
    if top is not None:
        post = db.posts.find_one({"_id": top["_id"]}, {"thread_id": 1, "author": 1, "text": 1})
        word = max(re.findall(r"[A-Za-z]{4,}", post.get("text") or "") or ["the"], key=len)
        lines += [
            f"  {tl} thread {post['thread_id']}        # a thread as a conversation",
            f"  {tl} post {post['_id']}      # the most quoted post, its quotes and replies",
            f"  {tl} user {post['author']}",
            f"  {tl} search {word.lower()}",
            f"  {tl} graph {post['thread_id']} -o quotes.svg",
        ]
    if longest.get("pages", 0) > 1:
        lines.append(f"  {tl} thread {longest['_id']} --page 2 --short   # a long thread, page 2")
    return lines


def start_storage(data: Path):
    """The MongoDB server on data/mongo; one line and exit 1 when `make db` already serves it."""
    log = data / "logs" / "mongo.log"
    try:
        return start_mongo(data / "mongo", log)
    except RuntimeError:
        if log.exists() and STORAGE_BUSY in log.read_text(errors="replace"):
            where = data / "mongo"
            where = where.relative_to(ROOT) if where.is_relative_to(ROOT) else where
            sys.exit(
                f"error: {where} is in use by another MongoDB server (`make db`?): "
                "stop it first (Ctrl-C where it runs), then run `make demo` again"
            )
        raise


def crawl(base_url: str, mongo_url: str, data: Path) -> str:
    """Run the crawl; return its verdict line: exit status, and where its report is."""
    reports = data / "reports"
    env = dict(os.environ, MONGODB_URI=mongo_url, MONGODB_DATABASE=DATABASE)
    env["TLCRAWL_REPORT_DIR"], env["TLCRAWL_WARC_DIR"] = str(reports), str(data / "warc")
    args = [sys.executable, "-m", "scrapy", "crawl", "threads", "-a", f"base_url={base_url}"]
    args += ["-s", f"LOG_FILE={data / 'logs' / 'crawl.log'}", "-s", "LOG_LEVEL=INFO"]
    # Our own replica on this machine: the real site's politeness delays would only slow the demo.
    args += scrapy_args()
    started = time.time()
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    written = [path for path in reports.glob("threads-*.md") if path.stat().st_mtime >= started]
    report = max(written, key=lambda path: path.stat().st_mtime) if written else "none written"
    if done.returncode == 0:
        return f"the crawl passed every check (exit status 0); its report: {report}"
    why = (done.stderr.strip().splitlines() or ["no reason given"])[-1]
    sys.exit(f"error: the crawl failed (exit status {done.returncode}): {why}\nreport: {report}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--forums", default="2")
    parser.add_argument("--threads-per-forum", default="25")
    parser.add_argument("--data", type=Path, default=DATA, help="where MongoDB data and logs go")
    options = parser.parse_args()
    data = options.data
    replica_options = ["--forums", options.forums, "--threads-per-forum", options.threads_per_forum]
    logs = data / "logs"
    started = time.monotonic()
    with (
        running(start_replica(logs / "replica.log", *replica_options)) as replica,
        running(start_storage(data)) as mongo,
    ):
        print(f"replica forum at {replica.url}; MongoDB at {mongo.url} (data in {data / 'mongo'})")
        print(f"crawling: scrapy crawl threads ... (log in {logs / 'crawl.log'})")
        print(crawl(replica.url, mongo.url, data))
        client = pymongo.MongoClient(mongo.url, tz_aware=True)
        print(
            f"done in {time.monotonic() - started:.1f} s; MongoDB database {DATABASE!r} now holds:"
        )
        print("\n".join(summary(client[DATABASE])))
        steps = next_steps(client[DATABASE])
        client.close()
    print("\n".join(steps))


if __name__ == "__main__":
    main()
