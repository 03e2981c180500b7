"""Refresh: a day later on the replica (new posts, new threads, deletions, edits), an incremental
crawl fetches what changed, not whole threads, and the archive then equals the day's truth."""

from __future__ import annotations

import math
import urllib.request
from datetime import timedelta

import pytest
import pytest_twisted

from tests.crawling import run_crawl
from tests.fakeforum import build_forum
from tests.fakeforum.changes import changes, page_slots
from tests.servers import running, start_replica
from tests.support import replica_truth
from tests.truth import RESOLUTION, by_type, differences
from tlcrawl.items import walk_quotes
from tlcrawl.parsing.forum_index import parse_forum_index

SIZE = ("--forums", "2", "--threads-per-forum", "30")
SIZES = {"forums": 2, "threads_per_forum": 30}
PER_PAGE = 20
RECHECK_DAYS = 3
BUDGET = 1.25  # requests against the minimum
# Fields an edit changes: stale where the refresh had no reason to fetch the page.
EDITABLE = {"text", "html", "edited_at", "content_hash", "quotes", "links", "images", "videos"}
EDITABLE |= {"reply_to", "signature"}


def _page_of(position: int) -> int:
    return max(1, math.ceil(position / PER_PAGE))


def day_changes(renumber: bool) -> tuple:
    before = build_forum(seed=1, **SIZES)
    after = build_forum(seed=1, revision=1, renumber=renumber, **SIZES)
    return before, after, changes(before, after)


def minimum_thread_pages(renumber: bool) -> dict[int, set[int]]:
    """The thread pages a refresh must fetch, from the replica's model of both days: the pages
    from each changed thread's last stored post to its end (the whole thread where a deletion
    moved the pages, or for a new thread), and the pages holding posts of the last
    RECHECK_DAYS days."""
    before, after, changed = day_changes(renumber)
    pages: dict[int, set[int]] = {}
    for thread_id, change in changed.items():
        last = len(page_slots(after.threads[thread_id]))
        if change.new_thread or change.moved:
            first = 1
        else:
            first = _page_of(len(before.threads[thread_id].post_ids))
        pages[thread_id] = set(range(first, last + 1))
    for thread_id, recent in recheck_pages(after).items():
        pages.setdefault(thread_id, set()).update(recent)
    return pages


def recheck_pages(after) -> dict[int, set[int]]:
    """The pages holding posts of the last RECHECK_DAYS days, by the newest post's time."""
    now = max(max(thread.times) for thread in after.threads.values())
    since = now - timedelta(days=RECHECK_DAYS)
    pages = {}
    for thread_id, thread in after.threads.items():
        recent = [i for i, at in enumerate(thread.times) if at >= since]
        if recent:
            pages[thread_id] = set(range(_page_of(recent[0] + 1), len(page_slots(thread)) + 1))
    return pages


def required_pages(renumber: bool) -> dict[int, set[int]]:
    """The pages a refresh must fetch whatever it does where pages moved: every page whose posts
    changed (ids or shown numbers), and the recheck pages."""
    _, after, changed = day_changes(renumber)
    pages = recheck_pages(after)
    for thread_id, change in changed.items():
        pages.setdefault(thread_id, set()).update(change.pages)
    return pages


def _thread_page_url(thread: dict, page: int) -> str:
    return thread["url"] + (f"?page={page}" if page > 1 else "")


@pytest.mark.parametrize("renumber", [False, True], ids=["gap", "renumber"])
@pytest_twisted.ensureDeferred
async def test_refresh_fetches_what_changed_and_stores_the_days_truth(
    renumber, mongo_server, mongo_client, mongo_db_name, tmp_path
):
    settings = {"MONGODB_URI": mongo_server.url, "MONGODB_DATABASE": mongo_db_name}
    day1 = (*SIZE, "--revision", "1", *(["--renumber"] if renumber else []))
    with running(start_replica(tmp_path / "day0.log", *SIZE)) as day0_server:
        base = day0_server.url
        await run_crawl(settings, base_url=base)
        before = {doc["_id"]: doc for doc in mongo_client[mongo_db_name].posts.find()}
        unchanged = await run_crawl(settings, base_url=base, incremental="1")
    port = int(base.rsplit(":", 1)[1])
    with running(start_replica(tmp_path / "day1.log", *day1, port=port)):
        result = await run_crawl(
            settings, base_url=base, incremental="1", recheck_days=str(RECHECK_DAYS)
        )
    truth = replica_truth(*day1, base_url=base)
    db = mongo_client[mongo_db_name]

    # Unchanged forum: the forum list and one index page per subforum (and robots.txt).
    assert sorted(unchanged.responses) == sorted(
        [
            f"{base}/robots.txt",
            f"{base}/forum/",
            f"{base}/forum/games/",
            f"{base}/forum/starcraft-2/",
        ]
    )

    # Requests: at most BUDGET x the minimum.
    threads = by_type(truth, "thread")
    minimum = {
        _thread_page_url(threads[thread_id], page)
        for thread_id, pages in minimum_thread_pages(renumber).items()
        for page in pages
    }
    overhead = 1 + 1 + 2  # robots.txt, forum list, the first index page of each subforum
    made = len(result.responses)
    print(f"refresh requests {made}, minimum {len(minimum) + overhead}")
    required = {
        _thread_page_url(threads[thread_id], page)
        for thread_id, pages in required_pages(renumber).items()
        for page in pages
    }
    assert required <= set(result.responses), "every page that changed was fetched"
    assert made <= BUDGET * (len(minimum) + overhead)
    assert result.stats.get("refresh/threads_from_page", 0) > 0
    # Where a deletion moved the pages, a binary search finds where, instead of the whole thread.
    assert result.stats["refresh/pages_moved"] == 2 and result.stats["refresh/pages_probed"] > 0

    # The archive: every present post, every field; deleted posts tombstoned.
    posts = by_type(truth, "post")
    stored = {doc["_id"]: doc for doc in db.posts.find()}
    assert set(stored) == set(posts)
    deleted = {i for i, post in posts.items() if post.get("deleted")}
    assert deleted, "the day deleted posts"
    assert {i for i, doc in stored.items() if doc.get("deleted_at")} == deleted
    present = {i: p for i, p in posts.items() if i not in deleted}
    fetched = required
    must_be_fresh = {
        i
        for i, p in present.items()
        if _thread_page_url(threads[p["thread_id"]], p["page"]) in fetched
    }
    fixed = EDITABLE | RESOLUTION | {"deleted", "deleted_at"}
    assert differences(present, {i: stored[i] for i in present}, ignore=fixed) == []
    fresh = {i: present[i] for i in must_be_fresh}
    assert differences(fresh, {i: stored[i] for i in fresh}, ignore=RESOLUTION) == []
    for post_id, doc in stored.items():
        if post_id in present and doc["text"] != before.get(post_id, doc)["text"]:
            assert [h["text"] for h in doc["history"]] == [before[post_id]["text"]]
    for kind, collection in (("thread", "threads"), ("forum", "forums")):
        docs = {doc["_id"]: doc for doc in db[collection].find()}
        assert differences(by_type(truth, kind), docs) == [], kind
    users = {doc["_id"]: doc for doc in db.users.find()}
    assert differences(by_type(truth, "user"), users) == []

    # Quote parents, new posts quoting old ones included.
    pairs = [
        (want, got)
        for post_id, post in present.items()
        for want, got in zip(
            walk_quotes(post["quotes"]), walk_quotes(stored[post_id]["quotes"]), strict=True
        )
    ]
    with_parent = [(w, g) for w, g in pairs if w["parent_id"] is not None]
    answered = [(w, g) for w, g in pairs if g["parent_id"] is not None]
    precision = sum(g["parent_id"] == w["parent_id"] for w, g in answered) / len(answered)
    recall = sum(g["parent_id"] == w["parent_id"] for w, g in with_parent) / len(with_parent)
    new_posts = {i for change in day_changes(renumber)[2].values() for i in change.added}
    old_quoted = [
        (w, g)
        for post_id in new_posts
        for w, g in zip(
            walk_quotes(posts[post_id]["quotes"]),
            walk_quotes(stored[post_id]["quotes"]),
            strict=True,
        )
        if w["parent_id"] is not None and w["parent_id"] in before
    ]
    print(
        f"quotes: precision {precision:.4f}, recall {recall:.4f}; new quote old {len(old_quoted)}"
    )
    assert precision >= 0.995 and recall >= 0.99
    assert old_quoted and all(g["parent_id"] == w["parent_id"] for w, g in old_quoted)


@pytest_twisted.ensureDeferred
async def test_a_thread_an_interrupted_refresh_left_incomplete_is_resumed_from_its_checkpoint(
    mongo_server, mongo_client, mongo_db_name, tmp_path
):
    # A synced subforum of two index pages (40 rows a page). An interrupted refresh completed the
    # threads of page 1 and stopped inside one of page 2; with nothing changed since, the next
    # refresh stops reading the index after page 1, and must still resume that thread.
    size = ("--forums", "1", "--threads-per-forum", "80")
    settings = {"MONGODB_URI": mongo_server.url, "MONGODB_DATABASE": mongo_db_name}
    with running(start_replica(tmp_path / "replica.log", *size)) as server:
        base = server.url
        await run_crawl(settings, base_url=base)
        db = mongo_client[mongo_db_name]
        page_two = f"{base}/forum/games/?currentpage=2"
        rows = parse_forum_index(urllib.request.urlopen(page_two).read(), page_two).rows
        long_ids = {doc["_id"] for doc in db.threads.find({"pages": {"$gte": 3}})}
        thread_id = next(row.thread_id for row in rows if row.thread_id in long_ids)
        stored = db.posts.count_documents({"thread_id": thread_id})
        db.posts.delete_many({"thread_id": thread_id, "number": {"$gt": PER_PAGE}})
        db.threads.update_one({"_id": thread_id}, {"$set": {"complete": False, "pages_stored": 1}})

        result = await run_crawl(settings, base_url=base, incremental="1")

    print(f"resume of an incomplete thread: {len(result.responses)} requests: {result.responses}")
    assert result.stats["refresh/incomplete_resumed"] == 1
    assert page_two not in result.responses  # the index pass still stopped after page 1
    assert db.posts.count_documents({"thread_id": thread_id}) == stored
    assert db.threads.find_one({"_id": thread_id})["complete"] is True
