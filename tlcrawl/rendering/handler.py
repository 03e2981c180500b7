"""The Playwright download handler, started at the first page that needs the browser.

scrapy-playwright starts Playwright (its Node.js driver) when the engine starts, about a second
even when no page is rendered. With `render=auto` most crawls render nothing, so this subclass waits
for the first request with `playwright` meta. Plain requests go over HTTP as before.

Overrides internal methods of scrapy-playwright 0.0.48 (the engine_started hooks and
`_download_request`); tests/test_rendering.py checks both behaviours.
"""

from __future__ import annotations

import asyncio

from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler


class LazyPlaywrightDownloadHandler(ScrapyPlaywrightDownloadHandler):
    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self._started = False
        self._start_lock = asyncio.Lock()

    # Connected to engine_started (the first with Scrapy >= 2.14, the second before): nothing yet.
    async def _maybe_launch_in_thread(self) -> None:
        return None

    def _engine_started(self) -> None:
        return None

    async def _download_request(self, request, spider=None):
        async with self._start_lock:
            if not self._started:
                await self._launch()
                self._started = True
        return await super()._download_request(request, spider)
