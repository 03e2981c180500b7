"""Downloader middlewares: fetch a request again through the browser when its page needs it.

`RenderingMiddleware` (between decompression and retries) looks at each plain response with
`needs_rendering`; when the page is a challenge or builds its posts by script, it sends the same
request again with Playwright meta. With `render=always` every page request goes to the browser.

`BrowserCookiesMiddleware` (just before Scrapy's cookies middleware) turns the browser's cookies of
a rendered page into `Set-Cookie` headers, so Scrapy's cookie jar takes the clearance cookie of a
solved challenge and the following requests pass over plain HTTP again.
"""

from __future__ import annotations

import logging
from email.utils import formatdate

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response, TextResponse

from tlcrawl import defaults
from tlcrawl.rendering.detect import (
    CHALLENGE,
    SCRIPT_POSTS,
    is_challenge_page,
    needs_rendering,
    posts_built_by_script,
)

logger = logging.getLogger(__name__)

# Fetched as they are also with render=always: a browser would wrap plain text in HTML.
NEVER_RENDERED_PATHS = ("/robots.txt",)
STAT_OF_REASON = {CHALLENGE: "rendering/challenges", SCRIPT_POSTS: "rendering/script_posts"}


def render_mode(crawler) -> str:
    return crawler.settings.get("TLCRAWL_RENDER") or defaults.RENDER


class RenderingMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.mode = render_mode(crawler)
        self.timeout = crawler.settings.getfloat("TLCRAWL_RENDER_TIMEOUT", defaults.RENDER_TIMEOUT)
        self.warned_never = False

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request, spider=None):
        if self.mode == "always" and not request.meta.get("playwright") and _renderable(request):
            from tlcrawl.rendering.browser import browser_meta

            request.meta.update(browser_meta("always", self.timeout))
        return None

    def process_response(self, request: Request, response: Response, spider=None):
        if request.meta.get("rendering_reason"):
            return self._rendered(request, response)
        reason = needs_rendering(response)
        if reason is None:
            return response
        self.stats.inc_value(STAT_OF_REASON[reason])
        if self.mode == "never":
            self.stats.inc_value("rendering/not_rendered")
            if not self.warned_never:
                self.warned_never = True
                logger.warning("%s needs a browser (%s) but render=never", response.url, reason)
            return response
        from tlcrawl.rendering.browser import browser_meta

        logger.info("Rendering in the browser (%s): %s", reason, request.url)
        meta = {**request.meta, **browser_meta(reason, self.timeout)}
        return request.replace(meta=meta, dont_filter=True)

    def _rendered(self, request: Request, response: Response) -> Response:
        from tlcrawl.rendering.browser import settle_result

        self.stats.inc_value("rendering/pages")
        settled = settle_result(request.meta) or {}
        if not isinstance(response, TextResponse) or _still_needs_rendering(response):
            self.stats.inc_value("rendering/failed")
            raise IgnoreRequest(f"page still needs rendering after the browser: {request.url}")
        challenged = response.headers.get(b"cf-mitigated", b"").lower() == b"challenge"
        if challenged and request.meta["rendering_reason"] != CHALLENGE:
            self.stats.inc_value("rendering/challenges")  # met in the browser (render=always)
        # The status and headers are the first navigation's: a solved challenge's 503. Report the
        # status of the document the browser ended on instead, so it is not retried as an error.
        if settled.get("status") and settled["status"] != response.status:
            headers = response.headers.copy()
            headers.pop(b"cf-mitigated", None)
            response = response.replace(status=settled["status"], headers=headers)
        return response

    def process_exception(self, request: Request, exception: Exception, spider=None):
        if request.meta.get("rendering_reason"):
            self.stats.inc_value("rendering/failed")
            logger.warning("Rendering failed: %s (%r)", request.url, exception)
        return None


class BrowserCookiesMiddleware:
    """Hand the browser's cookies of a rendered page to Scrapy's cookie jar."""

    def process_response(self, request: Request, response: Response, spider=None):
        if not request.meta.get("rendering_reason"):
            return response
        from tlcrawl.rendering.browser import settle_result

        cookies = (settle_result(request.meta) or {}).get("cookies") or []
        if not cookies:
            return response
        headers = response.headers.copy()
        for cookie in cookies:
            headers.appendlist(b"Set-Cookie", set_cookie_header(cookie).encode())
        return response.replace(headers=headers)


def set_cookie_header(cookie: dict) -> str:
    """A Playwright cookie as a `Set-Cookie` value; host-only cookies stay host-only."""
    parts = [f"{cookie['name']}={cookie['value']}", f"Path={cookie.get('path') or '/'}"]
    if cookie.get("domain", "").startswith("."):
        parts.append(f"Domain={cookie['domain']}")
    if (cookie.get("expires") or -1) > 0:
        parts.append(f"Expires={formatdate(cookie['expires'], usegmt=True)}")
    if cookie.get("secure"):
        parts.append("Secure")
    if cookie.get("httpOnly"):
        parts.append("HttpOnly")
    return "; ".join(parts)


def _renderable(request: Request) -> bool:
    return not request.url.split("?")[0].endswith(NEVER_RENDERED_PATHS)


def _still_needs_rendering(response: TextResponse) -> bool:
    return is_challenge_page(response.text) or posts_built_by_script(response.text, response.url)
