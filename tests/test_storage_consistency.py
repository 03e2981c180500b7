"""Crash-consistent storage against a real MongoDB server: what a lost write may never leave
behind (a thread marked stored whose posts are not), tombstones, and documents too large."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pymongo
from pymongo import monitoring

from tests.servers import ROOT
from tests.support import make_post, write
from tlcrawl.items import PostDeletedItem, ThreadItem, ThreadProgressItem, UserItem
from tlcrawl.storage import archive
from tlcrawl.storage.deadletter import DeadLetterFile, read_dead_letters
from tlcrawl.storage.documents import Batch, item_to_document
from tlcrawl.storage.schema import ensure_indexes
from tlcrawl.storage.writer import FlushResult, write_batch

NOW = datetime(2025, 1, 1, tzinfo=UTC)
MB = 1024 * 1024


def thread(thread_id: int, **fields) -> ThreadItem:
    return ThreadItem(_id=thread_id, forum="games", title="t", url="u", **fields)


def test_a_rejected_post_leaves_its_thread_not_complete_in_this_and_later_batches(
    mongo_client, mongo_db_name, tmp_path
):
    db = mongo_client[mongo_db_name]
    ensure_indexes(db)
    # A server-side rule that one post breaks: the server rejects that document alone.
    db.posts.create_index("url", unique=True)
    dead = DeadLetterFile(tmp_path / "dead.jsonl")
    tainted: set[int] = set()
    good, bad = make_post(1), make_post(2, url=make_post(1).url)
    other = make_post(40)  # another thread
    assert good.thread_id == bad.thread_id != other.thread_id
    batch: Batch = {}
    for item in (
        good,
        bad,
        other,
        thread(good.thread_id, pages_stored=1),
        thread(other.thread_id, pages_stored=1),
    ):
        kind, doc = item_to_document(item)
        batch.setdefault(kind, {})[doc["_id"]] = doc
    result = FlushResult()
    write_batch(db, batch, result, dead, tainted)
    assert result.dead_letter == 1 and result.held_back == 1
    assert [doc["_id"] for _, doc in read_dead_letters(dead.path)] == [2]
    stored = {doc["_id"]: doc for doc in db.threads.find()}
    assert stored[good.thread_id]["complete"] is False
    assert (
        "pages_stored" not in stored[good.thread_id] or not stored[good.thread_id]["pages_stored"]
    )
    assert stored[other.thread_id]["complete"] is True
    # A later batch finishing the thread still may not mark it stored.
    later: Batch = {}
    kind, doc = item_to_document(thread(good.thread_id, pages_stored=3))
    later[kind] = {doc["_id"]: doc}
    write_batch(db, later, FlushResult(), dead, tainted)
    assert db.threads.find_one({"_id": good.thread_id})["complete"] is False


class _Updates(monitoring.CommandListener):
    """The collections of the update commands a client sends, in order."""

    def __init__(self):
        self.collections: list[str] = []

    def started(self, event):
        if event.command_name == "update":
            self.collections.append(event.command["update"])

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def test_threads_are_written_after_their_posts_and_users(mongo_server, mongo_db_name, tmp_path):
    updates = _Updates()
    client = pymongo.MongoClient(mongo_server.url, tz_aware=True, event_listeners=[updates])
    db = client[mongo_db_name]
    batch: Batch = {}
    # Items added in the "wrong" order: the flush still writes posts, users, then threads.
    for item in (
        ThreadProgressItem(_id=1, pages_stored=1),
        UserItem(_id="a", profile_url="p"),
        make_post(1),
    ):
        kind, doc = item_to_document(item)
        batch.setdefault(kind, {})[doc["_id"]] = doc
    write_batch(db, batch, FlushResult(), DeadLetterFile(tmp_path / "d.jsonl"), set())
    assert updates.collections == ["posts", "users", "threads"]
    stored = db.threads.find_one({"_id": 1})
    assert (stored["pages_stored"], stored["complete"]) == (1, False)
    client.drop_database(mongo_db_name)
    client.close()


def test_tombstones_mark_stored_live_posts_only_and_a_post_seen_again_is_live(
    mongo_client, mongo_db_name
):
    db = mongo_client[mongo_db_name]
    write(db, make_post(1), make_post(2))
    write(
        db,
        PostDeletedItem(_id=1, thread_id=1, deleted_at=NOW),
        PostDeletedItem(_id=99, thread_id=1, deleted_at=NOW),
    )
    assert db.posts.find_one({"_id": 1})["deleted_at"] == NOW
    assert db.posts.find_one({"_id": 1})["text"] == "hello", "a tombstone keeps the data"
    assert db.posts.find_one({"_id": 99}) is None, "a tombstone never creates a post"
    later = datetime(2026, 1, 1, tzinfo=UTC)
    write(db, PostDeletedItem(_id=1, thread_id=1, deleted_at=later))
    assert db.posts.find_one({"_id": 1})["deleted_at"] == NOW, "the first date stays"
    write(db, make_post(1))  # the post is back on its page
    assert db.posts.find_one({"_id": 1})["deleted_at"] is None


def _fifty_mb_batch() -> list:
    huge = make_post(0, text="x" * (50 * MB))
    huge.html = "<p>" + "x" * (50 * MB) + "</p>"
    normal = [make_post(i) for i in range(1, 20)]
    users = [UserItem(_id=f"user{i}", profile_url="p") for i in range(7)]
    return [huge, *normal, thread(1, pages_stored=1), *users]


def test_a_fifty_megabyte_post_is_stored_cut_to_fit_and_its_batch_is_not_lost(
    mongo_client, mongo_db_name, tmp_path
):
    db = mongo_client[mongo_db_name]
    dead = DeadLetterFile(tmp_path / "dead.jsonl")
    result = write(db, *_fifty_mb_batch(), dead=dead)
    assert result.dead_letter == 0 and result.oversized == 1
    assert db.posts.count_documents({}) == 20 and db.users.count_documents({}) == 7
    huge = db.posts.find_one({"_id": 0})
    assert huge["oversized"] is True and huge["html"] == ""
    assert 10 * MB < len(huge["text"]) < 16 * MB and set(huge["text"]) == {"x"}
    assert db.threads.find_one({"_id": 1})["complete"] is True


def test_replay_of_a_dead_letter_file_with_a_fifty_megabyte_post_restores_all_of_it(
    mongo_server, mongo_client, mongo_db_name, tmp_path
):
    # The file an earlier version wrote when the post broke its batch: 28 documents.
    dead = DeadLetterFile(tmp_path / "old.jsonl")
    for item in _fifty_mb_batch():
        kind, doc = item_to_document(item)
        dead.append(kind, [doc], "DocumentTooLarge")
    command = [
        sys.executable,
        "-m",
        "tlcrawl.storage.replay",
        str(dead.path),
        "--uri",
        mongo_server.url,
        "--db",
        mongo_db_name,
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    db = mongo_client[mongo_db_name]
    assert db.posts.count_documents({}) == 20 and db.users.count_documents({}) == 7
    assert db.threads.count_documents({}) == 1
    assert db.posts.find_one({"_id": 0})["oversized"] is True


def test_users_cover_the_posts_a_crash_stored_only_when_their_times_span_them(
    mongo_client, mongo_db_name
):
    db = mongo_client[mongo_db_name]
    posts = [make_post(i) for i in range(1, 5)]  # thread 1: posts 1-4 by user1..user4
    write(db, *posts)
    assert not archive.users_cover_posts(db, 1, 0), "no user stored"
    users = [
        UserItem(_id=p.author, profile_url="p", first_post_at=p.posted_at, last_post_at=p.posted_at)
        for p in posts
    ]
    write(db, *users[2:])
    assert archive.users_cover_posts(db, 1, 2), "the users of posts 3-4 are stored"
    assert not archive.users_cover_posts(db, 1, 0)
    write(db, *users[:2])
    assert archive.users_cover_posts(db, 1, 0)
