from datetime import UTC, datetime

from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler

from tlcrawl.middlewares.retry_after import RetryAfterMiddleware, retry_after_seconds
from tlcrawl.spiders.threads import document_is_whole


def test_retry_after_in_seconds():
    assert retry_after_seconds("7") == 7.0


def test_retry_after_as_http_date():
    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Sat, 28 Nov 2026 12:00:30 GMT", now=now) == 30.0


def test_retry_after_in_the_past_means_now():
    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Sat, 28 Nov 2026 11:00:00 GMT", now=now) == 0.0


def test_retry_after_garbage_is_ignored():
    assert retry_after_seconds("soon") is None


def test_a_page_without_its_closing_tag_is_cut_short():
    assert document_is_whole(b"<html><body><p>all</p></body></html>\n")
    assert not document_is_whole(b"<html><body><article class='forumPost'><section>Upd")


def test_whatever_follows_the_closing_tag_does_not_matter():
    assert document_is_whole(
        b"<html><body></body></html>\n<!-- served in 12 ms --><script></script>"
    )


def _middleware():
    return RetryAfterMiddleware.from_crawler(get_crawler())


def test_a_busy_503_pauses_the_site_and_is_retried():
    middleware = _middleware()
    request = Request("https://tl.net/forum/games/1-x?page=2")
    busy = Response(request.url, status=503, headers={"Retry-After": "30"}, request=request)
    retry = middleware.process_response(request, busy)
    assert isinstance(retry, Request) and retry.url == request.url and retry.dont_filter
    assert retry.meta["retry_after_tries"] == 1
    assert set(middleware.paused_until) == {"tl.net"}


def test_a_503_without_retry_after_is_left_to_the_retry_middleware():
    middleware = _middleware()
    request = Request("https://tl.net/forum/")
    down = Response(request.url, status=503, request=request)
    assert middleware.process_response(request, down) is down
    assert middleware.paused_until == {}
