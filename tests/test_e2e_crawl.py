"""End to end: the real `threads` spider crawls the replica over HTTP; items match the truth."""

from __future__ import annotations

import pytest
import pytest_twisted

from tests.crawling import run_crawl
from tests.truth import RESOLUTION, by_type, differences, seed_thread

SMALL = ("--forums", "2", "--threads-per-forum", "20")


@pytest_twisted.ensureDeferred
async def test_full_crawl_yields_exactly_the_truth(replica_and_truth):
    server, truth = replica_and_truth(*SMALL)
    result = await run_crawl(base_url=server.url)
    for kind in ("forum", "thread", "post", "user"):
        assert differences(by_type(truth, kind), result.of(kind), ignore=RESOLUTION) == [], kind
    assert result.count("post") == len(by_type(truth, "post")), "every post exactly once"
    assert all(thread["complete"] for thread in result.of("thread").values())
    assert result.stats.get("log_count/ERROR", 0) == 0
    assert result.stats.get("thread_page/problems", 0) == 0


@pytest.mark.parametrize("form", ["canonical", "page2", "last", "all", "viewpost", "viewmessage"])
@pytest_twisted.ensureDeferred
async def test_seed_thread_alone_from_any_url_form(replica_and_truth, form):
    server, truth = replica_and_truth(*SMALL)
    thread, by_number = seed_thread(truth)
    posts = {post["_id"]: post for post in by_number.values()}
    last_post = by_number[max(by_number)]
    url = {
        "canonical": thread["url"],
        "page2": thread["url"] + "?page=2",
        "last": thread["url"] + "?page=last",
        "all": thread["url"] + "?view=all",
        "viewpost": last_post["url"],
        "viewmessage": f"{server.url}/forum/viewmessage.php?topic_id={thread['_id']}",
    }[form]
    result = await run_crawl(thread_url=url)
    assert len(posts) == 22
    assert differences(posts, result.of("post"), ignore=RESOLUTION) == []
    got_thread = result.of("thread")[thread["_id"]]
    for field in ("title", "forum", "url", "author", "replies", "pages", "locked"):
        assert got_thread[field] == thread[field], field
    assert got_thread["views"] is None, (
        "views are only on the index, which a thread_url crawl skips"
    )


@pytest_twisted.ensureDeferred
async def test_seed_thread_authors_match_the_seed_rendering(replica_and_truth):
    """The seed page's visible facts, read from the seed text itself, not from the replica."""
    _server, truth = replica_and_truth(*SMALL)
    thread, _ = seed_thread(truth)
    result = await run_crawl(thread_url=thread["url"])
    posts = sorted(result.of("post").values(), key=lambda post: post["number"])
    users = result.of("user")
    assert [p["author"] for p in posts[:6]] == [
        "Waxangel",
        "{CC}StealthBlue",
        "Waxangel",
        "Dante08",
        "[Phantom]",
        "Waxangel",
    ]
    assert posts[0]["posted_at"].isoformat() == "2023-12-06T02:50:00+00:00"
    assert posts[0]["edited_at"].isoformat() == "2023-12-06T04:01:08+00:00"
    assert posts[3]["edited_at"] is None
    assert posts[19]["author"] == "WGT-Baal"
    assert posts[19]["posted_at"].isoformat() == "2023-12-12T16:29:00+00:00"
    assert (users["Waxangel"]["country"], users["Waxangel"]["post_count"]) == (
        "United States",
        33429,
    )
    assert users["Waxangel"]["joined"] == "2002-09"
    assert (users["Dante08"]["country"], users["Dante08"]["post_count"]) == ("Singapore", 4128)
    assert users["PurE)Rabbit-SF"]["joined"] == "2006-12"
    assert (users["Chris_Havoc"]["country"], users["Chris_Havoc"]["joined"]) == (
        "United States",
        "2016-08",
    )


@pytest_twisted.ensureDeferred
async def test_forums_argument_limits_the_crawl_and_refuses_unknown_slugs(replica_and_truth):
    server, truth = replica_and_truth(*SMALL)
    slugs = sorted(by_type(truth, "forum"))
    assert len(slugs) == 2
    wanted, _other = slugs
    result = await run_crawl(base_url=server.url, forums=wanted)
    assert set(result.of("forum")) == {wanted}
    assert {post["forum"] for post in result.of("post").values()} == {wanted}
    expected = {k for k, v in by_type(truth, "thread").items() if v["forum"] == wanted}
    assert set(result.of("thread")) == expected
    # A misspelled slug would silently narrow the crawl: refused, naming the valid slugs.
    refused = await run_crawl(base_url=server.url, forums=f"{wanted},no-such-forum")
    assert refused.items == []
    assert refused.stats["finish_reason"] == "bad_arguments"
    assert refused.stats["arguments/refused"].endswith(f"the subforums are: {','.join(slugs)}")


@pytest_twisted.ensureDeferred
async def test_max_threads_bounds_the_crawl(replica_and_truth):
    server, _ = replica_and_truth(*SMALL)
    result = await run_crawl(base_url=server.url, max_threads="3")
    assert result.count("thread") == 3
    assert {post["thread_id"] for post in result.of("post").values()} == set(result.of("thread"))
