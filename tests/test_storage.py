"""The storage layer against a real MongoDB wire-protocol server: indexes, upserts, dead letters."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from tests.servers import ROOT
from tests.support import T0, make_post, write
from tlcrawl.items import PostDeletedItem, ThreadItem, UserItem
from tlcrawl.parsing.post_body import content_hash
from tlcrawl.storage.client import mask_uri
from tlcrawl.storage.deadletter import DeadLetterFile, read_dead_letters
from tlcrawl.storage.documents import item_to_document
from tlcrawl.storage.replay import replay
from tlcrawl.storage.schema import TOMBSTONES, ensure_indexes, server_supports_text_index


def test_indexes_are_created_once_and_text_index_is_detected(mongo_client, mongo_db_name):
    db = mongo_client[mongo_db_name]
    assert ensure_indexes(db) is False  # secantusdb refuses text indexes (code 67)
    assert ensure_indexes(db) is False  # and a second run changes nothing
    keys = {name: spec["key"] for name, spec in db.posts.index_information().items()}
    assert keys["thread_id_1_number_1"] == [("thread_id", 1), ("number", 1)]
    # Not unique: a tombstone keeps its number, which a renumbered live post may take.
    assert not db.posts.index_information()["thread_id_1_number_1"].get("unique")
    assert "thread_id_1_author_1_posted_at_1" in keys  # quote parents looked up in the archive
    assert {"author_1_posted_at_-1", "reply_to_1", "quotes.parent_id_1"} <= keys.keys()
    assert "forum_1_last_post_at_-1" in db.threads.index_information()
    assert server_supports_text_index(db) is False


def test_an_archive_with_the_old_unique_thread_order_index_gets_a_plain_one(
    mongo_client, mongo_db_name
):
    db = mongo_client[mongo_db_name]
    db.posts.create_index([("thread_id", 1), ("number", 1)], unique=True)
    ensure_indexes(db)
    assert not db.posts.index_information()["thread_id_1_number_1"].get("unique")
    db.posts.insert_many(
        [{"_id": 1, "thread_id": 7, "number": 2}, {"_id": 2, "thread_id": 7, "number": 2}]
    )


def test_writing_posts_twice_gives_the_same_documents(mongo_client, mongo_db_name):
    db = mongo_client[mongo_db_name]
    posts = [make_post(i, f"post {i}") for i in range(30)]
    first = write(db, *posts)
    stored = list(db.posts.find().sort("_id"))
    second = write(db, *posts)
    assert (first.upserted, first.modified) == (30, 0)
    assert (second.upserted, second.modified, second.history_appended) == (0, 0, 0)
    assert list(db.posts.find().sort("_id")) == stored
    assert stored[3]["quotes"][0]["quoted_at"] == T0  # nested dates round-trip, tz-aware


def test_a_changed_post_keeps_its_previous_versions(mongo_client, mongo_db_name):
    db = mongo_client[mongo_db_name]
    write(db, make_post(1, "first"))
    edited = T0 + timedelta(hours=1)
    later = T0 + timedelta(days=1)
    result = write(db, make_post(1, "second", edited_at=edited, crawled_at=later))
    write(db, make_post(1, "second", edited_at=edited, crawled_at=later + timedelta(1)))
    doc = db.posts.find_one({"_id": 1})
    assert result.history_appended == 1
    assert doc["text"] == "second" and doc["content_hash"] == content_hash("second")
    first = {"text": "first", "edited_at": None, "content_hash": content_hash("first")}
    assert doc["history"] == [{**first, "crawled_at": T0}]
    write(db, make_post(1, "third"))
    assert [v["text"] for v in db.posts.find_one({"_id": 1})["history"]] == ["first", "second"]


def test_text_that_looks_like_an_operator_is_stored_as_is(mongo_client, mongo_db_name):
    db = mongo_client[mongo_db_name]
    write(db, make_post(5, "$100 for $text", quotes=[{"$weird": "$x"}]))
    doc = db.posts.find_one({"_id": 5})
    assert doc["text"] == "$100 for $text" and doc["quotes"] == [{"$weird": "$x"}]


def test_users_keep_their_earliest_and_latest_post(mongo_client, mongo_db_name):
    db = mongo_client[mongo_db_name]
    late, early = T0 + timedelta(days=3), T0 - timedelta(days=3)
    user = dict(_id="Artosis", profile_url="https://tl.net/forum/profile.php?user=Artosis")
    write(db, UserItem(**user, country="US", post_count=10, first_post_at=T0, last_post_at=T0))
    write(db, UserItem(**user, country="US", post_count=12, first_post_at=late, last_post_at=late))
    write(db, UserItem(**user, country="KR", post_count=11, first_post_at=early, last_post_at=None))
    doc = db.users.find_one({"_id": "Artosis"})
    assert (doc["first_post_at"], doc["last_post_at"]) == (early, late)
    assert (doc["country"], doc["post_count"]) == ("KR", 11)


def test_a_thread_crawled_without_its_index_keeps_views_and_sticky(mongo_client, mongo_db_name):
    db = mongo_client[mongo_db_name]
    thread = dict(_id=9, forum="games", title="T", url="https://tl.net/forum/games/9-t")
    write(db, ThreadItem(**thread, views=5000, sticky=True, replies=3))
    write(db, ThreadItem(**thread, views=None, sticky=False, replies=4, pages=1))
    doc = db.threads.find_one({"_id": 9})
    assert (doc["views"], doc["sticky"], doc["replies"], doc["pages"]) == (5000, True, 4, 1)
    write(db, ThreadItem(_id=10, forum="games", title="U", url="https://tl.net/forum/games/10-u"))
    assert db.threads.find_one({"_id": 10})["views"] is None  # the field exists, as in the contract


def test_dead_letters_replay_idempotently(mongo_server, mongo_client, mongo_db_name, tmp_path):
    path = tmp_path / "dead.jsonl"
    dead = DeadLetterFile(path)
    dead.append("posts", [item_to_document(make_post(i))[1] for i in range(3)], "AutoReconnect")
    dead.append("posts", [item_to_document(make_post(1, "edited"))[1]], "AutoReconnect")
    assert next(read_dead_letters(path))[1]["posted_at"] == T0  # dates round-trip

    def replay(uri: str) -> subprocess.CompletedProcess:
        args = [sys.executable, "-m", "tlcrawl.storage.replay", str(path), "--uri", uri]
        return subprocess.run(
            [*args, "--db", mongo_db_name], cwd=ROOT, capture_output=True, text=True, timeout=60
        )

    first, second = replay(mongo_server.url), replay(mongo_server.url)
    assert first.returncode == 0, first.stderr
    assert "read 4, upserted 3, modified 0, skipped 0" in first.stdout
    assert "rejected 0" in first.stdout
    assert "read 4, upserted 0, modified 0, skipped 0" in second.stdout
    posts = mongo_client[mongo_db_name].posts
    assert [d["text"] for d in posts.find().sort("_id")] == ["hello", "edited", "hello"]
    assert posts.find_one({"_id": 0})["posted_at"] == T0

    down = replay("mongodb://bob:s3cret@127.0.0.1:9/?serverSelectionTimeoutMS=300")
    assert down.returncode == 1
    assert "bob:****@" in down.stderr and "s3cret" not in down.stderr + down.stdout


def test_replaying_an_old_file_never_rolls_a_post_back(
    mongo_server, mongo_client, mongo_db_name, tmp_path
):
    path = tmp_path / "old.jsonl"
    old = make_post(5, "first version", crawled_at=T0)
    DeadLetterFile(path).append("posts", [item_to_document(old)[1]], "AutoReconnect")
    db = mongo_client[mongo_db_name]
    write(db, make_post(5, "second version", crawled_at=T0 + timedelta(days=1)))

    done = replay(path, mongo_server.url, mongo_db_name)
    assert (done.read, done.superseded, done.counts.modified) == (1, 1, 0)
    doc = db.posts.find_one({"_id": 5})
    assert doc["text"] == "second version"
    assert not doc.get("history")


def test_replaying_a_tombstone_never_buries_a_post_seen_again_since(
    mongo_server, mongo_client, mongo_db_name, tmp_path
):
    """A crawl found post 6 gone, but its tombstone was dead-lettered; a later crawl stored the
    post live again. Replaying the old file must leave the post live."""
    path = tmp_path / "tombstone.jsonl"
    gone = PostDeletedItem(_id=6, thread_id=1000, deleted_at=T0 + timedelta(days=1))
    DeadLetterFile(path).append(TOMBSTONES, [item_to_document(gone)[1]], "AutoReconnect")
    db = mongo_client[mongo_db_name]
    write(db, make_post(6, "back again", crawled_at=T0 + timedelta(days=2)))

    done = replay(path, mongo_server.url, mongo_db_name)
    assert (done.read, done.superseded) == (1, 1)
    assert db.posts.find_one({"_id": 6})["deleted_at"] is None  # live


def test_replaying_a_tombstone_buries_a_post_last_seen_before_it(
    mongo_server, mongo_client, mongo_db_name, tmp_path
):
    path = tmp_path / "tombstone.jsonl"
    gone = PostDeletedItem(_id=7, thread_id=1000, deleted_at=T0 + timedelta(days=1))
    DeadLetterFile(path).append(TOMBSTONES, [item_to_document(gone)[1]], "AutoReconnect")
    db = mongo_client[mongo_db_name]
    write(db, make_post(7, "since deleted", crawled_at=T0))

    done = replay(path, mongo_server.url, mongo_db_name)
    assert (done.read, done.superseded) == (1, 0)
    assert db.posts.find_one({"_id": 7})["deleted_at"] == T0 + timedelta(days=1)


def test_mask_uri_hides_only_the_password():
    assert mask_uri("mongodb://u:p%40ss@h1:1,h2:2/db?x=1") == "mongodb://u:****@h1:1,h2:2/db?x=1"
    assert mask_uri("mongodb+srv://u:pw@c.example.net/") == "mongodb+srv://u:****@c.example.net/"
    assert mask_uri("mongodb://127.0.0.1:27017") == "mongodb://127.0.0.1:27017"
    # A raw `/` or `@` in the password (pymongo refuses it, after we have logged the URI).
    assert mask_uri("mongodb://u:pa/s@s@h/db") == "mongodb://u:****@h/db"
    assert mask_uri("mongodb://h/?tls=true&tlsCertificateKeyFilePassword=k3y") == (
        "mongodb://h/?tls=true&tlsCertificateKeyFilePassword=****"
    )
    assert mask_uri("mongodb://u@h/?authMechanism=MONGODB-X509") == (
        "mongodb://u@h/?authMechanism=MONGODB-X509"
    )


def test_a_dead_letter_line_cut_short_by_a_crash_costs_only_itself(
    mongo_server, mongo_client, mongo_db_name, tmp_path
):
    path = tmp_path / "dead.jsonl"
    DeadLetterFile(path).append("posts", [item_to_document(make_post(i))[1] for i in range(3)], "x")
    with path.open("a") as out:
        out.write('{"collection": "posts", "document": {"_id": 3, "te')  # kill -9 mid-line
    args = [sys.executable, "-m", "tlcrawl.storage.replay", str(path), "--uri", mongo_server.url]
    done = subprocess.run(
        [*args, "--db", mongo_db_name], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "read 3, upserted 3" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == (
        f"replay: 1 line(s) of {path} unreadable, skipped (cut short by a crash? their threads "
        "stay incomplete for the next crawl): line 4"
    )  # before it, only the test server's missing text index
    assert mongo_client[mongo_db_name].posts.count_documents({}) == 3
