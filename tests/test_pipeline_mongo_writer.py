"""MongoWriterPipeline on the reactor, against a real server: writes, outages, dead letters."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import UTC, datetime

import pymongo
import pytest
import pytest_twisted
from scrapy import Request, Spider
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.test import get_crawler
from twisted.internet.threads import deferToThread

from tests.servers import start_mongo
from tests.support import make_post, warc_record_ids
from tlcrawl.items import ForumItem, ThreadItem, UserItem, sync_after
from tlcrawl.pipelines import mongo_writer
from tlcrawl.pipelines.mongo_writer import MongoWriterPipeline
from tlcrawl.storage.replay import replay
from tlcrawl.warc import RAW_PAGES_DURABLE, SOURCE_META
from tlcrawl.warc import capture as capture_module
from tlcrawl.warc.capture import WarcCaptureMiddleware, WarcFileSet


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
    done = replay(tmp_path / "dead" / "archive.jsonl", mongo_server.url, mongo_db_name)
    assert (done.read, done.superseded, done.counts.upserted, done.counts.dead_letter) == (
        53, 0, 53, 0,
    )  # fmt: skip
    assert done.unreadable == []
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


def _captured_pages(crawler, count: int) -> tuple[WarcCaptureMiddleware, list[dict[str, str]]]:
    """`count` thread pages through the WARC capture middleware, and the `source` of each."""
    capture = WarcCaptureMiddleware.from_crawler(crawler)
    capture.spider_opened(crawler.spider)
    sources = []
    for page in range(1, count + 1):
        request = Request(f"https://tl.net/forum/games/1-t?page={page}")
        response = HtmlResponse(request.url, body=b"<p>page</p>", request=request)
        capture.process_response(request, response)
        sources.append(request.meta[SOURCE_META])
    return capture, sources


@pytest_twisted.ensureDeferred
async def test_documents_are_stored_only_once_the_raw_pages_they_name_are_on_disk(
    mongo_server, mongo_client, mongo_db_name, tmp_path, monkeypatch
):
    # A kill -9 or a reboot right after a write must not leave a document naming a WARC record
    # that never reached the disk: the archive could not be rebuilt from its raw pages. Here the
    # disk is slow (the WARC writer still has the pages queued when their posts are flushed).
    write, fsync, synced = WarcFileSet._write, os.fsync, []
    slow_write = staticmethod(lambda *args: time.sleep(0.2) or write(*args))
    monkeypatch.setattr(WarcFileSet, "_write", slow_write)
    monkeypatch.setattr(capture_module.os, "fsync", lambda fd: synced.append(fd) or fsync(fd))
    pipeline = make_pipeline(mongo_server.url, mongo_db_name, TLCRAWL_WARC_DIR=str(tmp_path))
    capture, sources = _captured_pages(pipeline.crawler, 3)
    posts = [make_post(i, f"post {i}", crawled_at=None, source=sources[i]) for i in range(3)]
    at_write = []  # what was durable when the writer went ahead
    pipeline.crawler.signals.connect(
        lambda: lambda seconds: at_write.append((warc_record_ids(tmp_path), len(synced))),
        signal=RAW_PAGES_DURABLE,
        weak=False,
    )  # connected after the capture middleware: its wait runs after the middleware's
    await run_pipeline(pipeline, posts)
    capture.files.close()
    named = {post["source"]["warc_record_id"] for post in mongo_client[mongo_db_name].posts.find()}
    assert len(named) == 3
    on_disk, fsyncs = at_write[0]
    assert named <= on_disk
    assert fsyncs >= 1  # through the OS's cache too: a reboot keeps them


@pytest_twisted.ensureDeferred
async def test_a_stuck_warc_writer_delays_storage_loudly_but_loses_nothing(
    mongo_server, mongo_client, mongo_db_name, caplog, monkeypatch
):
    monkeypatch.setattr(mongo_writer, "RAW_PAGES_WAIT_SECONDS", 0.1)
    pipeline = make_pipeline(mongo_server.url, mongo_db_name)
    pipeline.crawler.signals.connect(
        lambda: threading.Event().wait, signal=RAW_PAGES_DURABLE, weak=False
    )  # a wait that never comes true
    with caplog.at_level(logging.ERROR):
        await run_pipeline(pipeline, sample_items(5))
    assert mongo_client[mongo_db_name].posts.count_documents({}) == 5
    assert "Raw pages not on disk after 0.1 s: storing documents that name them" in caplog.text
