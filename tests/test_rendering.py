"""JavaScript rendering: which pages need a browser, and crawls of the replica's JavaScript modes.

The crawl tests use the real Chromium (Debian's chromium-headless-shell) through scrapy-playwright
and the replica over HTTP; each must yield exactly the truth.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import pytest_twisted
from scrapy.http import HtmlResponse

from tests.crawling import CrawlResult, run_crawl
from tests.fakeforum.js_modes import JsModes, posts_built_by_script, puzzle_answer
from tests.support import SEED_PATH, replica_truth
from tests.truth import by_type, differences
from tlcrawl.rendering import PLAYWRIGHT_HANDLER
from tlcrawl.rendering.browser import abort_request
from tlcrawl.rendering.detect import CHALLENGE, SCRIPT_POSTS, needs_rendering
from tlcrawl.rendering.middleware import set_cookie_header

FILES = Path(__file__).parent / "files"
SMALL = ("--forums", "1", "--threads-per-forum", "4")
PLAYWRIGHT_STARTED = "Starting Playwright for the first page that needs a browser"
THREAD_URL = "http://127.0.0.1:8000" + SEED_PATH


def _response(html: str, url: str = THREAD_URL, status: int = 200, **headers) -> HtmlResponse:
    return HtmlResponse(url, status=status, headers=headers, body=html.encode(), encoding="utf-8")


def _saved(name: str) -> str:
    return (FILES / name).read_text()


# --- the decision, on saved pages ---------------------------------------------------------------


def test_static_thread_page_needs_no_browser():
    assert needs_rendering(_response(_saved("thread_seed_p1.html"))) is None
    assert needs_rendering(_response(_saved("thread_variants_p3.html"))) is None


def test_other_pages_need_no_browser():
    assert needs_rendering(_response(_saved("forum_list.html"), "http://h/forum/")) is None
    index = _saved("forum_index_games_p1.html")
    assert needs_rendering(_response(index, "http://h/forum/games/")) is None


def test_challenge_page_is_recognised_with_or_without_the_header():
    reply = JsModes(challenge=True).challenge_page()
    html = reply.body.decode()
    headers = dict(reply.headers)
    assert reply.status == 503 and headers["cf-mitigated"] == "challenge"
    assert needs_rendering(_response(html, "http://h/forum/", 503, **headers)) == CHALLENGE
    assert needs_rendering(_response(html, "http://h/forum/", 503)) == CHALLENGE
    # Without the title: a script setting the clearance cookie on a page without the site's content
    untitled = html.replace("Just a moment...", "tl.net")
    assert needs_rendering(_response(untitled, "http://h/forum/", 200)) == CHALLENGE


def test_thread_page_built_by_script_is_recognised():
    html = posts_built_by_script(_saved("thread_seed_p1.html"))
    assert not re.search(r"<article[^>]*forumPost", html.split('id="posts-data"')[0])
    assert needs_rendering(_response(html)) == SCRIPT_POSTS
    # The same page on a URL that is not a thread page is left alone.
    assert needs_rendering(_response(html, "http://h/forum/games/")) is None


def test_a_content_page_that_mentions_the_cookie_is_no_challenge():
    html = _saved("thread_seed_p1.html").replace("</section>", "tl_clearance</section>", 1)
    assert needs_rendering(_response(html)) is None


def test_replica_challenge_accepts_only_a_solved_token():
    modes = JsModes(challenge=True)
    html = modes.challenge_page().body.decode()
    nonce, sig = re.search(r'data-nonce="(\w+)" data-sig="(\w+)"', html).groups()
    assert modes.challenge("/forum/", None) is not None
    assert modes.challenge("/robots.txt", None) is None
    assert modes.challenge("/forum/", f"tl_clearance={nonce}.{sig}.00000000") is not None
    assert modes.challenge("/forum/", f"tl_clearance={nonce}.x.{puzzle_answer(nonce)}") is not None
    assert (
        modes.challenge("/forum/", f"x=1; tl_clearance={nonce}.{sig}.{puzzle_answer(nonce)}")
        is None
    )


def test_browser_cookies_become_set_cookie_headers():
    host_only = {"name": "tl_clearance", "value": "a.b.c", "domain": "127.0.0.1", "path": "/"}
    assert set_cookie_header({**host_only, "expires": -1}) == "tl_clearance=a.b.c; Path=/"
    shared = {**host_only, "domain": ".tl.net", "expires": 0, "secure": True, "httpOnly": True}
    assert (
        set_cookie_header(shared) == "tl_clearance=a.b.c; Path=/; Domain=.tl.net; Secure; HttpOnly"
    )


class _FakeRequest:
    def __init__(self, resource_type: str, subframe: bool = False):
        self.resource_type = resource_type
        self.frame = type("Frame", (), {"parent_frame": object() if subframe else None})()

    def is_navigation_request(self) -> bool:
        return self.resource_type == "document"


def test_browser_skips_images_fonts_media_and_embedded_players():
    for kind in ("image", "font", "media", "stylesheet"):
        assert abort_request(_FakeRequest(kind))
    assert abort_request(_FakeRequest("document", subframe=True))  # a YouTube embed
    assert not abort_request(_FakeRequest("document"))
    assert not abort_request(_FakeRequest("script"))


# --- crawls with the real browser ---------------------------------------------------------------


async def _crawl(settings: dict | None = None, **spider_args) -> tuple[CrawlResult, object]:
    result = await run_crawl(settings, **spider_args)
    return result, result.crawler


def _assert_truth(result: CrawlResult, truth: list[dict]) -> None:
    for kind in ("forum", "thread", "post", "user"):
        assert differences(by_type(truth, kind), result.of(kind)) == [], kind
    assert result.count("post") == len(by_type(truth, "post")), "every post exactly once"
    assert result.stats.get("log_count/ERROR", 0) == 0
    assert result.stats.get("rendering/failed", 0) == 0


def _assert_pages_closed(stats: dict) -> None:
    assert stats["playwright/page_count"] == stats["playwright/page_count/closed"]


@pytest_twisted.ensureDeferred
async def test_challenge_is_solved_once_then_plain_http(replica, caplog):
    caplog.set_level(logging.INFO, logger="tlcrawl.rendering.provider")
    server = replica(*SMALL, "--js-challenge")
    result, _ = await _crawl(base_url=server.url)
    _assert_truth(result, replica_truth(*SMALL, base_url=server.url))
    stats = result.stats
    assert stats["rendering/challenges"] >= 1
    assert stats["rendering/pages"] <= 3, "after the first challenge, pages come over plain HTTP"
    assert stats["downloader/response_count"] > 3 * stats["rendering/pages"]
    assert stats.get("retry/count", 0) == 0, "a challenge's 503 is rendered, not retried"
    _assert_pages_closed(stats)
    assert PLAYWRIGHT_STARTED in caplog.text  # the other side of the test below


@pytest_twisted.ensureDeferred
async def test_posts_built_by_script_are_rendered(replica):
    server = replica(*SMALL, "--js-render")
    truth = replica_truth(*SMALL, base_url=server.url)
    result, _ = await _crawl(base_url=server.url)
    _assert_truth(result, truth)
    thread_pages = sum(thread["pages"] for thread in by_type(truth, "thread").values())
    assert result.stats["rendering/script_posts"] == thread_pages
    assert result.stats["rendering/pages"] == thread_pages, "only thread pages go to the browser"
    _assert_pages_closed(result.stats)


@pytest_twisted.ensureDeferred
async def test_always_renders_every_page_through_both_modes(replica):
    server = replica(*SMALL, "--js-challenge", "--js-render")
    result, _ = await _crawl(base_url=server.url, render="always")
    _assert_truth(result, replica_truth(*SMALL, base_url=server.url))
    stats = result.stats
    pages = stats["response_received_count"] - 1  # all but robots.txt
    assert stats["rendering/pages"] == pages
    assert stats["rendering/challenges"] >= 1
    assert stats.get("retry/count", 0) == 0
    _assert_pages_closed(stats)


@pytest_twisted.ensureDeferred
async def test_auto_starts_no_browser_for_a_site_that_needs_none(replica, caplog):
    caplog.set_level(logging.INFO, logger="tlcrawl.rendering.provider")
    server = replica(*SMALL)
    result, crawler = await _crawl(base_url=server.url)
    _assert_truth(result, replica_truth(*SMALL, base_url=server.url))
    assert PLAYWRIGHT_HANDLER in crawler.settings.getdict("DOWNLOAD_HANDLERS").values()
    assert not [key for key in result.stats if key.startswith(("playwright/", "rendering/"))]
    assert PLAYWRIGHT_STARTED not in caplog.text, "Playwright was started for nothing"


@pytest_twisted.ensureDeferred
async def test_never_keeps_playwright_out(replica):
    server = replica(*SMALL)
    result, crawler = await _crawl(base_url=server.url, render="never")
    _assert_truth(result, replica_truth(*SMALL, base_url=server.url))
    assert PLAYWRIGHT_HANDLER not in crawler.settings.getdict("DOWNLOAD_HANDLERS").values()
    assert not [key for key in result.stats if key.startswith(("playwright/", "rendering/"))]


@pytest_twisted.ensureDeferred
async def test_the_render_setting_applies_when_the_spider_has_no_argument(replica):
    server = replica(*SMALL)
    result, crawler = await _crawl(
        {"TLCRAWL_RENDER": "never"}, base_url=server.url, max_threads="1"
    )
    assert PLAYWRIGHT_HANDLER not in crawler.settings.getdict("DOWNLOAD_HANDLERS").values()
    assert result.count("thread") == 1


@pytest_twisted.ensureDeferred
async def test_navigation_gives_up_after_the_render_timeout(replica):
    server = replica(*SMALL)
    _, crawler = await _crawl({"TLCRAWL_RENDER_TIMEOUT": 7}, base_url=server.url, max_threads="1")
    assert crawler.settings.getfloat("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT") == 7000


@pytest_twisted.ensureDeferred
async def test_never_reports_pages_it_cannot_read(replica):
    server = replica(*SMALL, "--js-render")
    result, _ = await _crawl(base_url=server.url, render="never")
    assert result.stats["rendering/not_rendered"] == result.stats["rendering/script_posts"] > 0
    assert not [key for key in result.stats if key.startswith("playwright/")]


@pytest.fixture
def broken_script_site() -> Iterator[str]:
    """One thread page whose script never builds its posts, on a local HTTP server."""
    page = posts_built_by_script(_saved("thread_seed_p1.html"))
    page = page.replace("[data-post-slot]", "[data-no-such-slot]").encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            found = self.path.startswith(SEED_PATH)
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page if found else b"not found")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest_twisted.ensureDeferred
async def test_a_page_that_never_renders_fails_and_its_page_is_closed(broken_script_site):
    url = broken_script_site + SEED_PATH
    result, _ = await _crawl({"TLCRAWL_RENDER_TIMEOUT": 1}, thread_url=url)
    stats = result.stats
    assert result.count("post") == 0
    assert stats["rendering/script_posts"] == 1
    assert stats["rendering/failed"] == 1
    assert stats["thread_page/failed"] == 1, "the spider's errback heard of it"
    _assert_pages_closed(stats)
