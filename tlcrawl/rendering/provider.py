"""Playwright started at the first page that needs the browser, not when the crawl starts.

scrapy-playwright asks its browser provider (the PLAYWRIGHT_BROWSER_PROVIDER setting) to `start()`
when the engine starts: the default provider starts Playwright's Node.js driver then, about a
second even when no page is rendered. With `render=auto` most crawls render nothing, so this
provider starts Playwright when the handler first asks it for a browser, i.e. at the first request
with `playwright` meta. Plain requests never touch it.
"""

from __future__ import annotations

import asyncio
import logging

from scrapy_playwright.provider import PlaywrightBrowserProvider

logger = logging.getLogger(__name__)


class LazyPlaywrightProvider(PlaywrightBrowserProvider):
    def __init__(self, config) -> None:
        super().__init__(config)
        self._started = False
        self._start_lock = asyncio.Lock()

    async def start(self) -> None:
        """Called when the engine starts: nothing to do until a page needs the browser."""

    async def launch_browser(self):
        await self._start_playwright()
        return await super().launch_browser()

    async def launch_persistent_context(self, context_kwargs: dict):
        await self._start_playwright()
        return await super().launch_persistent_context(context_kwargs)

    async def _start_playwright(self) -> None:
        async with self._start_lock:
            if not self._started:
                logger.info("Starting Playwright for the first page that needs a browser")
                await super().start()
                self._started = True
