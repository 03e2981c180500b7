"""MongoWriterPipeline on the reactor, against a real server: writes, outages, dead letters."""

from __future__ import annotations

import logging
import socket
import time
from datetime import UTC, datetime

import pymongo
import pytest
import pytest_twisted
from scrapy import Spider
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.test import get_crawler
from twisted.internet.threads import deferToThread

from tests.servers import start_mongo
from tests.support import make_post
from tlcrawl.items import ForumItem, ThreadItem, UserItem, sync_after
from tlcrawl.pipelines.mongo_writer import MongoWriterPipeline
from tlcrawl.storage.replay import replay


class ArchiveSpider(Spider):
    name = "archive"


def make_pipeline(uri: str, db_name: str, **settings) -> MongoWriterPipeline:
    crawler = get_crawler(
        ArchiveSpider, {"MONGODB_URI": uri, "MONGODB_DATABASE": db_name, **settings}
    )
    crawler.spider = crawler._create_spider()
    return MongoWriterPipeline.from_crawler(crawler)


async def run_pipeline(pipeline: MongoWriterPipeline, items) -> None:
    # The pipeline's coroutines await asyncio futures: run them as asyncio tasks.
    await deferred_from_coro(pipeline.open_spider())
    for item in items:
        await deferred_from_coro(pipeline.process_item(item))
    await deferred_from_coro(pipeline.close_spider())


def sample_items(count: int) -> list:
    user = UserItem(_id="user1", profile_url="https://tl.net/forum/profile.php?user=user1")
    forum = ForumItem(_id="games", name="General Games", url="https://tl.net/forum/games/")
    thread = ThreadItem(_id=1, forum="games", title="T", url="https://tl.net/forum/games/1-t")
    posts = [make_post(i, f"post {i}", crawled_at=None) for i in range(count)]
    return [forum, thread, user, *posts]


def free_closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_empty_uri_switches_the_writer_off():
    with pytest.raises(NotConfigured):
        make_pipeline("", "unused")


@pytest_twisted.ensureDeferred
async def test_a_crawl_written_twice_gives_the_same_documents(
    mongo_server, mongo_client, mongo_db_name
):
    settings = {"MONGODB_BATCH_SIZE": 40}
    first = make_pipeline(mongo_server.url, mongo_db_name, **settings)
    await run_pipeline(first, sample_items(100))
    db = mongo_client[mongo_db_name]
    stored = {
        name: list(db[name].find().sort("_id")) for name in ("forums", "threads", "posts", "users")
    }
    second = make_pipeline(mongo_server.url, mongo_db_name, **settings)
    await run_pipeline(second, sample_items(100))

    stats = first.crawler.stats
    assert stats.get_value("mongodb/upserted") == 103
    assert stats.get_value("mongodb/flushes") >= 3
    assert stats.get_value("mongodb/dead_letter") is None
    assert second.crawler.stats.get_value("mongodb/history_appended") is None
    assert stored["posts"][0]["crawled_at"] > datetime(2025, 1, 1, tzinfo=UTC)  # stamped
    for name, docs in stored.items():
        again = list(db[name].find().sort("_id"))
        for doc in docs + again:
            doc.pop("crawled_at", None)
        assert again == docs, name
    assert db.posts.count_documents({}) == 100


@pytest_twisted.ensureDeferred
async def test_an_unreachable_server_fills_the_dead_letter_file(
    mongo_server, mongo_client, mongo_db_name, tmp_path, caplog
):
    uri = f"mongodb://bob:s3cretpw@127.0.0.1:{free_closed_port()}/"
    path = tmp_path / "dead" / "{spider}.jsonl"
    pipeline = make_pipeline(
        uri, "x", MONGODB_RETRY_SECONDS=1, MONGODB_BATCH_SIZE=30, MONGODB_DEAD_LETTER_PATH=str(path)
    )
    with caplog.at_level(logging.INFO):
        await run_pipeline(pipeline, sample_items(50))

    assert pipeline.crawler.stats.get_value("mongodb/dead_letter") == 53
    assert "bob:****@127.0.0.1" in caplog.text and "s3cretpw" not in caplog.text
    assert "python -m tlcrawl.storage.replay" in caplog.text
    read, skipped, result = replay(
        tmp_path / "dead" / "archive.jsonl", mongo_server.url, mongo_db_name
    )
    assert (read, skipped, result.upserted, result.dead_letter) == (53, 0, 53, 0)
    assert (
        mongo_client[mongo_db_name].posts.find_one({"_id": 7})["posted_at"]
        == make_post(7).posted_at
    )


@pytest_twisted.ensureDeferred
async def test_nothing_is_lost_when_the_server_restarts_mid_crawl(tmp_path):
    servers = [start_mongo(tmp_path / "data", tmp_path / "mongo.log")]
    port = int(servers[0].url.rsplit(":", 1)[1].strip("/"))

    def restart() -> None:  # on a thread, while items keep coming
        time.sleep(1)
        servers.append(start_mongo(tmp_path / "data", tmp_path / "mongo2.log", port=port))

    # Short server selection: each write attempt during the outage fails fast and is retried.
    uri = servers[0].url + "?serverSelectionTimeoutMS=500"
    pipeline = make_pipeline(uri, "outage", MONGODB_BATCH_SIZE=100, MONGODB_RETRY_SECONDS=30)
    stats = pipeline.crawler.stats
    try:
        await deferred_from_coro(pipeline.open_spider())
        items = sample_items(800)
        while not stats.get_value("mongodb/flushes"):
            await deferred_from_coro(pipeline.process_item(items.pop()))
        await deferToThread(servers[0].stop)  # flushes may be in flight: the server goes mid-write
        restarted = deferToThread(restart)
        for item in items:  # these batches meet the outage
            await deferred_from_coro(pipeline.process_item(item))
        await restarted
        await deferred_from_coro(pipeline.close_spider())
        client = pymongo.MongoClient(servers[-1].url, tz_aware=True)
        assert client.outage.posts.count_documents({}) == 800
        client.close()
        assert stats.get_value("mongodb/retries") >= 1
        assert stats.get_value("mongodb/dead_letter") is None
    finally:
        for server in servers:
            server.stop()


def _synced_forum_and_threads(threads: int) -> tuple[ForumItem, list[ThreadItem]]:
    synced = datetime(2026, 11, 30, tzinfo=UTC)
    forum = ForumItem(_id="games", name="General Games", url="u", synced_at=synced)
    return sync_after(forum, threads), [
        ThreadItem(_id=i, forum="games", title="T", url=f"u/{i}") for i in range(1, threads + 1)
    ]


@pytest_twisted.ensureDeferred
async def test_a_forums_sync_mark_is_stored_only_after_the_threads_it_vouches_for(
    mongo_server, mongo_client, mongo_db_name
):
    # The mark overtook its threads on the way (an archive lookup held them back): the writer
    # keeps it until both threads are in, so no crash can leave it stored before them.
    pipeline = make_pipeline(mongo_server.url, mongo_db_name)
    forum, threads = _synced_forum_and_threads(2)
    await deferred_from_coro(pipeline.open_spider())
    held = []
    for item in [forum, *threads]:
        await deferred_from_coro(pipeline.process_item(item))
        held.append("games" in pipeline.held_syncs)
    await deferred_from_coro(pipeline.close_spider())
    assert held == [True, True, False]
    assert mongo_client[mongo_db_name].forums.find_one()["synced_at"] == forum.synced_at


@pytest_twisted.ensureDeferred
async def test_a_sync_mark_whose_threads_never_arrived_is_not_stored(
    mongo_server, mongo_client, mongo_db_name, caplog
):
    pipeline = make_pipeline(mongo_server.url, mongo_db_name)
    forum, threads = _synced_forum_and_threads(2)
    with caplog.at_level(logging.WARNING):
        await run_pipeline(pipeline, [forum, threads[0]])
    stored = mongo_client[mongo_db_name].forums.find_one()
    assert stored["name"] == "General Games" and stored["synced_at"] is None
    assert pipeline.crawler.stats.get_value("forums/sync_withheld") == 1
    assert "Forum games is not marked synced: 1 of its 2 threads" in caplog.text
