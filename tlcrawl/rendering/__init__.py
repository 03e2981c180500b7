"""JavaScript rendering with scrapy-playwright, only for the pages that need it.

`-a render=auto` (default) fetches over plain HTTP and sends a request to the browser only when its
page is a challenge or builds its posts by script (`detect.needs_rendering`); `always` renders
every page; `never` keeps Playwright out of the crawl entirely.

The spider's `render` argument becomes the TLCRAWL_RENDER setting in its `from_crawler`; then
`RenderingAddon` (in ADDONS) installs the middlewares and, unless `never`, scrapy-playwright's
download handler for this crawl only, with a browser provider that starts Playwright at the first
page that needs it (tlcrawl.rendering.provider).
"""

from __future__ import annotations

from tlcrawl import defaults

PLAYWRIGHT_HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
LAZY_PROVIDER = "tlcrawl.rendering.provider.LazyPlaywrightProvider"
MIDDLEWARES = {
    # After HttpCompressionMiddleware (590) has decoded the body, before RetryMiddleware (550),
    # which would otherwise retry a challenge's 503 as a server error.
    "tlcrawl.rendering.middleware.RenderingMiddleware": 560,
    # Before CookiesMiddleware (700) reads Set-Cookie headers from responses.
    "tlcrawl.rendering.middleware.BrowserCookiesMiddleware": 750,
}


class RenderingAddon:
    """Scrapy add-on: configure rendering for this crawl from the TLCRAWL_RENDER setting."""

    def update_settings(self, settings) -> None:
        mode = settings.get("TLCRAWL_RENDER") or defaults.RENDER
        if mode not in defaults.RENDER_MODES:
            raise ValueError(f"render mode must be one of {defaults.RENDER_MODES}, got {mode!r}")
        # Component settings are per-key: a project or command-line entry for the same key wins.
        for path, order in MIDDLEWARES.items():
            settings["DOWNLOADER_MIDDLEWARES"].set(path, order, priority="addon")
        if mode != "never":
            for scheme in ("http", "https"):
                settings["DOWNLOAD_HANDLERS"].set(scheme, PLAYWRIGHT_HANDLER, priority="addon")
            settings.set("PLAYWRIGHT_BROWSER_PROVIDER", LAZY_PROVIDER, priority="addon")
            # Navigation, like the wait for posts, gives up after TLCRAWL_RENDER_TIMEOUT seconds
            # (Playwright's own default is 30 s per step).
            timeout = settings.getfloat("TLCRAWL_RENDER_TIMEOUT", defaults.RENDER_TIMEOUT)
            settings.set("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT", timeout * 1000, priority="addon")
