"""Requests stay on the crawl's site: a redirect to another host is refused and counted."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import pytest_twisted

from tests.crawling import run_crawl
from tests.support import SEED_PATH


@pytest.fixture
def redirecting_site(replica):
    """A site on its own port whose every page redirects (302) to the replica on another port."""
    target = replica("--forums", "1", "--threads-per-forum", "2").url
    asked: list[str] = []

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            self.send_response(302)
            self.send_header("Location", target + self.path)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", asked
    server.shutdown()
    server.server_close()


@pytest_twisted.ensureDeferred
async def test_a_redirect_to_another_host_is_refused(redirecting_site):
    site, asked = redirecting_site
    result = await run_crawl(thread_url=site + SEED_PATH, render="never")
    assert SEED_PATH in asked, "the crawl asked its own site"
    assert result.stats.get("offsite/refused", 0) >= 1
    assert result.count("post") == 0, "nothing was read from the other host"
