"""The spider's decisions on single responses (pages rendered by the replica, no HTTP)."""

from __future__ import annotations

import asyncio

import pymongo
import pytest
import pytest_twisted
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from tests.fakeforum import build_forum
from tests.truth import seed_thread
from tlcrawl.items import PostItem, ThreadItem
from tlcrawl.parsing.forum_index import parse_forum_index
from tlcrawl.spiders.threads import ThreadsSpider

BASE = "http://replica.test"


@pytest.fixture(scope="module")
def forum():
    return build_forum(seed=1, forums=1, threads_per_forum=4)


@pytest.fixture(scope="module")
def seed(forum):
    return seed_thread(list(forum.truth_documents(BASE)))[0]


@pytest.fixture
def spider():
    crawler = get_crawler(ThreadsSpider)
    crawler.spider = ThreadsSpider.from_crawler(crawler, base_url=BASE)
    return crawler.spider


def response(forum, url: str, request: Request | None = None, cut: int | None = None):
    status, _, body = forum.render(url[len(BASE) :])
    assert status == 200
    request = request or Request(url)
    return HtmlResponse(url, body=body[:cut], encoding="utf-8", request=request)


def drain(callback_output) -> list:
    """Run a callback's async generator to its end; it must not wait for I/O (no archive here)."""

    async def collect():
        return [output async for output in callback_output]

    coroutine = collect()
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise AssertionError("the callback waited for I/O")


def split(outputs) -> tuple[list[Request], list[PostItem], list[ThreadItem]]:
    outputs = drain(outputs)
    kinds = (Request, PostItem, ThreadItem)
    return tuple([o for o in outputs if isinstance(o, kind)] for kind in kinds)


def test_a_page_served_in_place_of_another_does_not_leave_the_thread_hanging(forum, seed, spider):
    requests, posts, _ = split(spider.parse_thread_page(response(forum, seed["url"])))
    [page2] = requests
    assert len(posts) == 20
    # Posts were deleted since page 1 was read: the site answers ?page=2 with page 1.
    wrong = response(forum, seed["url"], request=page2)
    _, posts, threads = split(spider.parse_thread_page(wrong))
    assert posts == []
    assert [t.complete for t in threads] == [False]
    assert spider.crawler.stats.get_value("thread_page/incomplete") == 1
    assert seed["_id"] not in spider.threads


def test_whole_posts_of_a_cut_page_are_kept_when_its_refetch_fails(forum, seed, spider):
    requests, _, _ = split(spider.parse_thread_page(response(forum, seed["url"])))
    [page2] = requests
    _, _, body = forum.render(page2.url[len(BASE) :])
    cut = body.index(b'class="forumPost"', body.index(b'class="forumPost"') + 1) + 40
    retries, posts, _ = split(spider.parse_thread_page(response(forum, page2.url, page2, cut)))
    [refetch] = retries
    assert posts == [] and refetch.dont_filter
    failure = Failure(ConnectionError("refused"))
    failure.request = refetch
    _, posts, threads = split(spider.on_thread_page_error(failure))
    assert [p.number for p in posts] == [21], "#21 was whole; #22, cut in half, is not kept"
    assert [t.complete for t in threads] == [False]


def test_a_thread_listed_again_after_it_finished_is_not_scheduled_again(forum, spider):
    url = f"{BASE}/forum/games/"
    first, _, _ = split(spider.parse_forum_index(response(forum, url)))
    listed = {int(r.url.split("/")[-1].split("-")[0]) for r in first if "thread_page" in r.meta}
    assert listed and spider.threads_scheduled == len(listed)
    spider.threads.clear()  # as when the threads finish
    again, _, _ = split(spider.parse_forum_index(response(forum, url)))
    assert [r for r in again if "thread_page" in r.meta] == []
    assert spider.threads_scheduled == len(listed)


@pytest_twisted.ensureDeferred
async def test_incremental_crawl_without_its_database_crawls_every_row(forum, spider):
    index = parse_forum_index(forum.render("/forum/games/")[2], f"{BASE}/forum/games/")
    closed_port = "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=200"
    spider.incremental = True
    spider.archive_db = pymongo.MongoClient(closed_port)["tlcrawl"]
    # An asyncio coroutine (it uses asyncio.to_thread), run as Scrapy runs callbacks.
    coroutine = spider._plans(index.rows, f"{BASE}/forum/games/")
    plans = await Deferred.fromFuture(asyncio.ensure_future(coroutine))
    assert plans == {}, "no plan: every row is crawled whole"
    assert spider.crawler.stats.get_value("incremental/db_unavailable") == 1
    spider.archive_db.client.close()


def _long_thread(forum) -> dict:
    threads = [d for d in forum.truth_documents(BASE) if d["type"] == "thread"]
    return max(threads, key=lambda thread: thread["pages"])


def test_a_pager_claiming_a_million_pages_is_capped_by_the_reply_count(spider):
    forum = build_forum(seed=1, forums=1, threads_per_forum=10)
    thread = _long_thread(forum)  # 105 pages, 2,098 replies
    _, _, body = forum.render(thread["url"][len(BASE) :])
    body = body.replace(b'?page=105">105<', b'?page=1000000">1000000<')
    page1 = HtmlResponse(thread["url"], body=body, encoding="utf-8", request=Request(thread["url"]))
    requests, _, _ = split(spider.parse_thread_page(page1))
    assert 104 <= len(requests) <= 106, "the pages the reply count allows, and no more"
    assert spider.crawler.stats.get_value("bounds/thread_pages_capped") == 1


def test_a_pager_without_a_reply_count_is_capped_by_the_setting():
    crawler = get_crawler(ThreadsSpider, {"TLCRAWL_MAX_THREAD_PAGES": 300})
    spider = crawler.spider = ThreadsSpider.from_crawler(crawler, base_url=BASE)
    forum = build_forum(seed=1, forums=1, threads_per_forum=10)
    thread = _long_thread(forum)
    _, _, body = forum.render(thread["url"][len(BASE) :])
    body = body.replace(b'?page=105">105<', b'?page=1000000">1000000<')
    body = body.replace(b"2098 Comments", b"Comments")
    page1 = HtmlResponse(thread["url"], body=body, encoding="utf-8", request=Request(thread["url"]))
    requests, _, _ = split(spider.parse_thread_page(page1))
    assert len(requests) == 299
    assert spider.crawler.stats.get_value("bounds/thread_pages_capped") == 1


def test_a_post_with_an_invalid_edit_time_is_skipped_and_the_thread_still_completes(spider):
    forum = build_forum(seed=1, forums=1, threads_per_forum=10)
    thread = _long_thread(forum)
    page1 = response(forum, thread["url"])
    requests, posts, _ = split(spider.parse_thread_page(page1))
    assert len(posts) == 20
    url2 = next(r.url for r in requests if r.meta["thread_page"] == 2)
    _, _, body = forum.render(url2[len(BASE) :])
    info = b'<div class="fpost-postinfo">'
    bad = b'<span class="fpost-edited">Last Edited: 2023-12-06 04:01:99</span> '
    body = body.replace(info, info + bad, 1)  # the first post on page 2: #21
    page2 = HtmlResponse(
        url2, body=body, encoding="utf-8", request=next(r for r in requests if r.url == url2)
    )
    _, posts, _ = split(spider.parse_thread_page(page2))
    assert [p.number for p in posts] == list(range(22, 41)), "#21 alone is skipped"
    assert spider.crawler.stats.get_value("posts/missing_field") == 1
    state = spider.threads[thread["_id"]]
    assert state.incomplete, "the next incremental crawl comes back to the thread"
    later = [r for r in requests if r.meta["thread_page"] == 3]
    _, posts, _ = split(spider.parse_thread_page(response(forum, later[0].url, later[0])))
    assert [p.number for p in posts] == list(range(41, 61)), "later pages still flow"
