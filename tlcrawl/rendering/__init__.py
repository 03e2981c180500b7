"""JavaScript rendering with scrapy-playwright, only for the pages that need it.

`-a render=auto` (default) fetches over plain HTTP and sends a request to the browser only when its
page is a challenge or builds its posts by script (`detect.needs_rendering`); `always` renders
every page; `never` keeps Playwright out of the crawl entirely.

`RenderingAddon` (in ADDONS) reads the spider's `render` argument once the spider exists and
installs the middlewares and, unless `never`, the Playwright download handler for this crawl only.
"""

from __future__ import annotations

RENDER_MODES = ("auto", "always", "never")
PLAYWRIGHT_HANDLER = "tlcrawl.rendering.handler.LazyPlaywrightDownloadHandler"
MIDDLEWARES = {
    # After HttpCompressionMiddleware (590) has decoded the body, before RetryMiddleware (550),
    # which would otherwise retry a challenge's 503 as a server error.
    "tlcrawl.rendering.middleware.RenderingMiddleware": 560,
    # Before CookiesMiddleware (700) reads Set-Cookie headers from responses.
    "tlcrawl.rendering.middleware.BrowserCookiesMiddleware": 750,
}


class RenderingAddon:
    """Scrapy add-on: configure rendering per crawl from the spider's `render` argument."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def update_settings(self, settings) -> None:
        # Add-ons run after the spider is created and before settings freeze (Crawler.crawl).
        mode = getattr(self.crawler.spider, "render", None) or settings.get("TLCRAWL_RENDER")
        mode = mode or "auto"
        if mode not in RENDER_MODES:
            raise ValueError(f"render mode must be one of {RENDER_MODES}, got {mode!r}")
        # The spider's argument wins: it is what the middleware must follow for this crawl.
        settings.set("TLCRAWL_RENDER", mode, priority="cmdline")
        # Component settings are per-key: a project or command-line entry for the same key wins.
        for path, order in MIDDLEWARES.items():
            settings["DOWNLOADER_MIDDLEWARES"].set(path, order, priority="addon")
        if mode != "never":
            for scheme in ("http", "https"):
                settings["DOWNLOAD_HANDLERS"].set(scheme, PLAYWRIGHT_HANDLER, priority="addon")
            # Navigation, like the wait for posts, gives up after TLCRAWL_RENDER_TIMEOUT seconds
            # (Playwright's own default is 30 s per step).
            timeout_ms = settings.getfloat("TLCRAWL_RENDER_TIMEOUT", 20) * 1000
            settings.set("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT", timeout_ms, priority="addon")
