"""A crawl that lost pages or writes leaves the archive in a state the next incremental crawl
repairs completely: no thread is marked stored while any of its posts is missing."""

from __future__ import annotations

import pymongo
import pytest_twisted

from tests.crawling import run_crawl
from tests.servers import running, start_replica
from tests.support import mongo_outage, replica_truth
from tests.truth import RESOLUTION, by_type, differences
from tlcrawl.items import walk_quotes

HARSH = (
    "--fail-rate",
    "0.2",
    "--fail-attempts",
    "3",
    "--truncate-rate",
    "0.05",
    "--rate-limit",
    "30",
)
FORUM = ("--forums", "2", "--threads-per-forum", "15", "--long-pages", "12")


def _archive_differences(db, truth: list[dict]) -> dict[str, list[str]]:
    """Differences from the truth; quote parents are compared with a clean crawl's instead
    (the resolver refuses a few that the truth knows, the same in every crawl)."""
    found = {}
    for kind, collection in (("post", "posts"), ("thread", "threads"), ("user", "users")):
        stored = {doc["_id"]: doc for doc in db[collection].find()}
        found[kind] = differences(by_type(truth, kind), stored, ignore=RESOLUTION)
    return found


def _parents(posts) -> dict:
    return {
        post_id: (post["reply_to"], [q["parent_id"] for q in walk_quotes(post["quotes"])])
        for post_id, post in posts.items()
    }


async def _clean_parents(tmp_path) -> dict:
    with running(start_replica(tmp_path / "clean.log", *FORUM)) as clean:
        return _parents((await run_crawl(base_url=clean.url)).of("post"))


@pytest_twisted.ensureDeferred
async def test_after_harsh_faults_one_incremental_crawl_completes_the_archive(
    mongo_server, mongo_client, mongo_db_name, tmp_path
):
    options = (*FORUM, *HARSH)
    with running(start_replica(tmp_path / "replica.log", *options)) as server:
        truth = replica_truth(*options, base_url=server.url)
        settings = {"MONGODB_URI": mongo_server.url, "MONGODB_DATABASE": mongo_db_name}
        # Fewer retries than the faults need: pages are lost for good in this crawl.
        first = await run_crawl({**settings, "RETRY_TIMES": 1}, base_url=server.url)
        db = mongo_client[mongo_db_name]
        missing = len(by_type(truth, "post")) - db.posts.count_documents({})
        assert first.stats.get("thread_page/failed", 0) > 0 and missing > 0
        assert first.stats["threads/incomplete"] > 0
        for thread in db.threads.find({"complete": True}):
            stored = db.posts.count_documents({"thread_id": thread["_id"]})
            assert stored == thread["replies"] + 1, f"thread {thread['_id']} marked stored"

        second = await run_crawl(settings, base_url=server.url, incremental="1")
    assert _archive_differences(db, truth) == {"post": [], "thread": [], "user": []}
    assert _parents({doc["_id"]: doc for doc in db.posts.find()}) == await _clean_parents(tmp_path)
    assert second.stats["threads/unchanged_skipped"] > 0, "complete threads were not fetched"


@pytest_twisted.ensureDeferred
async def test_after_an_outage_that_dead_letters_writes_one_incremental_crawl_completes_it(
    tmp_path,
):
    with running(start_replica(tmp_path / "replica.log", *FORUM, "--slow-rate", "0.3")) as site:
        truth = replica_truth(*FORUM, base_url=site.url)
        async with mongo_outage(tmp_path, after=1.0, downtime=4.0) as outage:
            settings = {
                "MONGODB_URI": outage.url + "?serverSelectionTimeoutMS=500",
                "MONGODB_DATABASE": "healed",
                "MONGODB_FLUSH_SECONDS": 0.25,
                "MONGODB_BATCH_SIZE": 50,
                "MONGODB_RETRY_SECONDS": 0.5,  # give up fast: the outage dead-letters writes
                "MONGODB_DEAD_LETTER_PATH": str(tmp_path / "dead.jsonl"),
            }
            first = await run_crawl(settings, base_url=site.url)
            restarted = await outage.back()
            assert first.stats.get("mongodb/dead_letter", 0) > 0
            client = pymongo.MongoClient(restarted.url, tz_aware=True)
            db = client["healed"]
            for thread in db.threads.find({"complete": True}):
                stored = db.posts.count_documents({"thread_id": thread["_id"]})
                assert stored == thread["replies"] + 1, f"thread {thread['_id']} marked stored"
            settings["MONGODB_URI"] = restarted.url
            await run_crawl(settings, base_url=site.url, incremental="1")
            assert _archive_differences(db, truth) == {"post": [], "thread": [], "user": []}
            healed = _parents({doc["_id"]: doc for doc in db.posts.find()})
            assert healed == await _clean_parents(tmp_path)
            client.close()
