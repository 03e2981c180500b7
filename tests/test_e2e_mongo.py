"""End to end into a real MongoDB wire-protocol server: documents, idempotence, history, outages."""

from __future__ import annotations

import pymongo
import pytest_twisted

from tests.crawling import run_crawl
from tests.support import mongo_outage, replica_truth
from tests.truth import COLLECTION_OF_KIND, RESOLUTION, by_type, differences

SMALL = ("--forums", "2", "--threads-per-forum", "20")


def _stored(db, collection: str) -> dict:
    return {doc["_id"]: doc for doc in db[collection].find()}


def _counts(db) -> dict[str, int]:
    return {name: db[name].count_documents({}) for name in COLLECTION_OF_KIND.values()}


def _mongo_settings(url: str, database: str) -> dict:
    return {"MONGODB_URI": url, "MONGODB_DATABASE": database}


@pytest_twisted.ensureDeferred
async def test_crawl_stores_the_truth_and_a_second_crawl_changes_nothing(
    replica, mongo_server, mongo_client, mongo_db_name
):
    server = replica(*SMALL)
    truth = replica_truth(*SMALL, base_url=server.url)
    settings = _mongo_settings(mongo_server.url, mongo_db_name)
    first = await run_crawl(settings, base_url=server.url)
    db = mongo_client[mongo_db_name]
    for kind, collection in COLLECTION_OF_KIND.items():
        assert (
            differences(by_type(truth, kind), _stored(db, collection), ignore=RESOLUTION) == []
        ), kind
    assert first.stats.get("mongodb/dead_letter", 0) == 0
    counts = _counts(db)
    posts_before = {doc["_id"]: doc for doc in db.posts.find({}, {"crawled_at": 0, "source": 0})}

    await run_crawl(settings, base_url=server.url)
    assert _counts(db) == counts
    posts_after = {doc["_id"]: doc for doc in db.posts.find({}, {"crawled_at": 0, "source": 0})}
    assert posts_after == posts_before
    assert db.posts.count_documents({"history.0": {"$exists": True}}) == 0


@pytest_twisted.ensureDeferred
async def test_an_edited_post_updates_in_place_and_keeps_its_history(
    replica, mongo_server, mongo_client, mongo_db_name
):
    options = ("--forums", "1", "--threads-per-forum", "6")
    settings = _mongo_settings(mongo_server.url, mongo_db_name)
    original = replica(*options)
    await run_crawl(settings, base_url=original.url, forums="games")
    db = mongo_client[mongo_db_name]
    before = {doc["_id"]: doc for doc in db.posts.find()}

    edited = replica(*options, "--revision", "1")
    truth = by_type(replica_truth(*options, "--revision", "1", base_url=edited.url), "post")
    # The replica's truth uses its own base URL: compare the fields that do not contain it.
    changed = {i for i, post in truth.items() if i in before and post["text"] != before[i]["text"]}
    assert changed, "revision 1 of the replica edits some posts"
    await run_crawl(settings, base_url=edited.url, forums="games")

    # Revision 1 also adds posts and deletes some: the deleted ones stay, tombstoned.
    assert {doc["_id"] for doc in db.posts.find({}, {"_id": 1})} == set(truth)
    deleted = {i for i, post in truth.items() if post.get("deleted")}
    assert {doc["_id"] for doc in db.posts.find({"deleted_at": {"$ne": None}})} == deleted
    for post_id in changed:
        doc = db.posts.find_one({"_id": post_id})
        assert doc["text"] == truth[post_id]["text"]
        assert [h["text"] for h in doc["history"]] == [before[post_id]["text"]]
        assert doc["history"][0]["content_hash"] == before[post_id]["content_hash"]
    unchanged = next(i for i in before if i not in changed)
    assert "history" not in db.posts.find_one({"_id": unchanged}) or not db.posts.find_one(
        {"_id": unchanged}
    ).get("history")


@pytest_twisted.ensureDeferred
async def test_database_outage_mid_crawl_loses_nothing(replica, tmp_path):
    # The games forum holds the 105-page thread: the crawl outlasts the outage by far.
    options = ("--forums", "1", "--threads-per-forum", "12", "--slow-rate", "0.3")
    server = replica(*options)
    truth = replica_truth(*options, base_url=server.url)
    async with mongo_outage(tmp_path, after=0.5, downtime=3.0) as outage:
        # Short server selection: the outage shows as retried flushes, not one long wait.
        settings = _mongo_settings(outage.url + "?serverSelectionTimeoutMS=1000", "outage")
        settings["MONGODB_FLUSH_SECONDS"] = 0.5
        settings["MONGODB_BATCH_SIZE"] = 50
        result = await run_crawl(settings, base_url=server.url, forums="games")
        restarted = await outage.back()
        assert result.stats.get("mongodb/retries", 0) > 0, "writes failed during the crawl"
        assert result.stats.get("mongodb/dead_letter", 0) == 0
        client = pymongo.MongoClient(restarted.url, tz_aware=True)
        stored = _stored(client["outage"], "posts")
        expected = {k: v for k, v in by_type(truth, "post").items() if v["forum"] == "games"}
        assert set(stored) == set(expected)
        client.close()


@pytest_twisted.ensureDeferred
async def test_incremental_crawl_fetches_only_threads_with_new_posts(
    replica, mongo_server, mongo_client, mongo_db_name
):
    options = ("--forums", "1", "--threads-per-forum", "6")
    server = replica(*options)
    settings = _mongo_settings(mongo_server.url, mongo_db_name)
    await run_crawl(settings, base_url=server.url, forums="games")
    db = mongo_client[mongo_db_name]
    # As if the stored crawl had happened before the last reply of one thread was posted.
    stale, damaged = db.threads.find({"pages": 1}, sort=[("_id", 1)]).limit(2)
    db.threads.update_one({"_id": stale["_id"]}, {"$inc": {"replies": -1}})
    # ... and as if a page of another thread had failed in the stored crawl.
    db.threads.update_one({"_id": damaged["_id"]}, {"$set": {"complete": False}})

    result = await run_crawl(settings, base_url=server.url, forums="games", incremental="1")
    threads_in_forum = db.threads.count_documents({"forum": "games"})
    assert result.stats["threads/unchanged_skipped"] == threads_in_forum - 2
    recrawled = {stale["_id"], damaged["_id"]}
    assert {post["thread_id"] for post in result.of("post").values()} == recrawled
    assert db.threads.find_one({"_id": stale["_id"]})["replies"] == stale["replies"]
    assert db.threads.find_one({"_id": damaged["_id"]})["complete"] is True
