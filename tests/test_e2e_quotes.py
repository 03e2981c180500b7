"""Quote resolution end to end: crawl the replica, compare every quote's parent with the truth."""

from __future__ import annotations

from collections.abc import Iterator

import pytest_twisted

from tests.crawling import run_crawl
from tests.support import seed_quote_parents
from tests.truth import by_type, seed_thread
from tlcrawl.items import walk_quotes

# Enough threads for well over 1,000 quotes whose parent exists.
QUOTES_REPLICA = ("--forums", "2", "--threads-per-forum", "30")


def pair_quotes(truth_posts: dict, crawled_posts: dict) -> Iterator[tuple[dict, dict]]:
    for post_id, expected in truth_posts.items():
        got = crawled_posts[post_id]
        expected_quotes, got_quotes = (
            list(walk_quotes(expected["quotes"])),
            list(walk_quotes(got["quotes"])),
        )
        assert len(got_quotes) == len(expected_quotes), f"post {post_id}: quote count"
        yield from zip(expected_quotes, got_quotes, strict=True)


@pytest_twisted.ensureDeferred
async def test_precision_and_recall_over_the_replica(replica_and_truth):
    server, truth = replica_and_truth(*QUOTES_REPLICA)
    result = await run_crawl(base_url=server.url)
    pairs = list(pair_quotes(by_type(truth, "post"), result.of("post")))
    with_parent = [(want, got) for want, got in pairs if want["parent_id"] is not None]
    vanished = [(want, got) for want, got in pairs if want["parent_id"] is None]
    answered = [(want, got) for want, got in pairs if got["parent_id"] is not None]
    correct = [(want, got) for want, got in answered if got["parent_id"] == want["parent_id"]]
    found = [(want, got) for want, got in with_parent if got["parent_id"] == want["parent_id"]]

    assert len(with_parent) >= 1000, "enough quotes to measure"
    precision = len(correct) / len(answered)
    recall = len(found) / len(with_parent)
    print(
        f"quotes {len(pairs)}, with parent {len(with_parent)}, precision {precision:.4f}, "
        f"recall {recall:.4f}"
    )
    assert precision >= 0.995
    assert recall >= 0.99
    assert [got["parent_id"] for _, got in vanished if got["parent_id"] is not None] == []
    stats = result.stats
    assert stats["quotes/seen"] == len(pairs)
    assert stats["quotes/resolved"] == len(answered)
    assert stats["quotes/unresolved"] == len(pairs) - len(answered)
    reply_to_ok = all(
        post["reply_to"]
        == list(dict.fromkeys(q["parent_id"] for q in post["quotes"] if q["parent_id"] is not None))
        for post in result.of("post").values()
    )
    assert reply_to_ok


@pytest_twisted.ensureDeferred
async def test_seed_thread_quotes_resolve_completely(replica_and_truth):
    _server, truth = replica_and_truth(*QUOTES_REPLICA)
    seed, _ = seed_thread(truth)
    result = await run_crawl(thread_url=seed["url"])
    posts = {p["number"]: p for p in result.of("post").values()}
    id_to_number = {p["_id"]: n for n, p in posts.items()}
    got = {
        number: [id_to_number.get(q["parent_id"]) for q in walk_quotes(post["quotes"])]
        for number, post in posts.items()
        if post["quotes"] and number <= 20  # page 1 is the real page; page 2 is invented
    }
    assert got == seed_quote_parents()
    assert all(q["confidence"] > 0.5 for p in posts.values() for q in walk_quotes(p["quotes"]))
    assert posts[14]["reply_to"] == [posts[12]["_id"]]
