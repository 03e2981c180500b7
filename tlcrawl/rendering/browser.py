"""What runs in the browser: which requests it skips, and how a rendered page is waited for.

Only imported by the Playwright download handler (through settings) and by the middleware when it
sends a request to the browser, so a crawl that renders nothing never imports Playwright.
"""

from __future__ import annotations

from typing import Any

# Not needed to build the page's DOM; skipping them saves most of a page's load time.
ABORTED_RESOURCE_TYPES = frozenset({"image", "font", "media", "stylesheet"})
SETTLE_POLL_MS = 50

# True once the document is neither a challenge nor a thread page still waiting for its posts.
# Same markers as tlcrawl.rendering.detect (title, Cloudflare's challenge ids, posts-data script).
SETTLED_JS = """() => {
  if (document.readyState !== "complete") return false;
  if (/^\\s*(Just a moment|Attention Required|Checking your browser)/i.test(document.title)) {
    return false;
  }
  if (document.getElementById("challenge-form") || document.getElementById("challenge-running")) {
    return false;
  }
  return !document.getElementById("posts-data") || !!document.querySelector("article.forumPost");
}"""

# The status of the document finally shown (after a challenge's reload, not the challenge's own).
FINAL_STATUS_JS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  return nav && nav.responseStatus ? nav.responseStatus : 0;
}"""


def abort_request(request) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: images, fonts, media, styles and embedded frames (players)."""
    if request.resource_type in ABORTED_RESOURCE_TYPES:
        return True
    try:
        frame = request.frame
    except Exception:  # a service worker's request has no frame
        return False
    return request.is_navigation_request() and frame.parent_frame is not None


async def settle(page, timeout_ms: float) -> dict[str, Any]:
    """Page method run after navigation: wait until the page is usable, then report on it.

    Returns the final document's status and the browser's cookies for the page's URL (a solved
    challenge leaves its clearance cookie there), read by tlcrawl.rendering.middleware.
    """
    # Polling on a timer checks at once (the default waits for an animation frame first).
    await page.wait_for_function(SETTLED_JS, timeout=timeout_ms, polling=SETTLE_POLL_MS)
    status = await page.evaluate(FINAL_STATUS_JS)
    cookies = await page.context.cookies(page.url)
    return {"status": status, "cookies": cookies}


def browser_meta(reason: str, timeout: float) -> dict[str, Any]:
    """Request meta that sends a request to the browser (the handler closes the page itself)."""
    from scrapy_playwright.page import PageMethod

    return {
        "playwright": True,
        "playwright_include_page": False,
        "playwright_page_methods": [PageMethod(settle, timeout_ms=timeout * 1000)],
        "rendering_reason": reason,
    }


def settle_result(meta: dict) -> dict[str, Any] | None:
    """What `settle` returned for a rendered request, or None (not rendered, or it failed)."""
    for method in meta.get("playwright_page_methods") or ():
        if getattr(method, "method", None) is settle:
            return getattr(method, "result", None)
    return None
