"""Scrapy settings for tlcrawl.

Every value that differs from Scrapy's default says why. Endpoints and secrets come from the
environment (see README "Configuration"); `-s NAME=VALUE` overrides any of them for one run.
"""

import os

from tlcrawl import defaults

BOT_NAME = "tlcrawl"
SPIDER_MODULES = ["tlcrawl.spiders"]
NEWSPIDER_MODULE = "tlcrawl.spiders"

# Where to crawl. The real site by default; tests and the demo point it at the local replica.
TLCRAWL_BASE_URL = os.environ.get("TLCRAWL_BASE_URL", defaults.BASE_URL)

# --- Politeness for the real site -------------------------------------------------------------
# An identifying User-Agent (default: "Scrapy/x.y (+https://scrapy.org)"). Put a way to reach you
# in TLCRAWL_USER_AGENT when crawling the real site.
USER_AGENT = os.environ.get("TLCRAWL_USER_AGENT", "tlcrawl/0.1 (Team Liquid forum archiver)")
ROBOTSTXT_OBEY = True  # default False (only the startproject template sets True): obey the site
CONCURRENT_REQUESTS_PER_DOMAIN = 4  # default 8: one forum server, keep the load low
DOWNLOAD_DELAY = 0.25  # default 0: a small gap between requests to the same site
AUTOTHROTTLE_ENABLED = True  # default False: back off when the site slows down
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0  # default 1.0: the site serves small pages quickly
# Retry server errors and rate limiting (Scrapy's RETRY_HTTP_CODES, 429 included) a few more times.
RETRY_TIMES = 4  # default 2
# 429 (and 503 with Retry-After): wait as long as the site asks before retrying, at most
# RETRY_AFTER_MAX_SECONDS each time and RETRY_AFTER_MAX_TRIES times. Runs before RetryMiddleware
# (550), which would otherwise retry at once and lose the page to repeated 429s.
DOWNLOADER_MIDDLEWARES = {"tlcrawl.middlewares.retry_after.RetryAfterMiddleware": 580}
RETRY_AFTER_MAX_SECONDS = 120
RETRY_AFTER_MAX_TRIES = 5
DOWNLOAD_TIMEOUT = 60  # default 180: a forum page that takes a minute is a failed request

# --- Output -----------------------------------------------------------------------------------
FEED_EXPORT_ENCODING = "utf-8"  # default None (ASCII-escaped JSON): keep Korean text readable
ITEM_PIPELINES = {
    "tlcrawl.pipelines.clean_posts.CleanPostsPipeline": 100,
    "tlcrawl.pipelines.quote_parents.QuoteParentsPipeline": 200,
    "tlcrawl.pipelines.mongo_writer.MongoWriterPipeline": 900,
}

# MongoDB: an empty MONGODB_URI switches the writer off (feeds alone still work).
MONGODB_URI = os.environ.get("MONGODB_URI", defaults.MONGODB_URI)
MONGODB_DATABASE = os.environ.get("MONGODB_DATABASE", defaults.MONGODB_DATABASE)
MONGODB_BATCH_SIZE = defaults.MONGODB_BATCH_SIZE  # documents per unordered bulk upsert
MONGODB_FLUSH_SECONDS = defaults.MONGODB_FLUSH_SECONDS  # the longest a document waits in the buffer
# A failed flush (server down, timeout) is retried with exponential backoff for this long; each
# attempt waits at most the URI's serverSelectionTimeoutMS (default 30 s). Then it is dead-lettered.
MONGODB_RETRY_SECONDS = defaults.MONGODB_RETRY_SECONDS
# Documents that could not be written; created only on failure.
# Replay: python -m tlcrawl.storage.replay FILE
MONGODB_DEAD_LETTER_PATH = defaults.MONGODB_DEAD_LETTER_PATH

# --- Engine -----------------------------------------------------------------------------------
# default DEBUG: one line per request is noise on a crawl of millions of posts.
LOG_LEVEL = os.environ.get("TLCRAWL_LOG_LEVEL", "INFO")

# --- Throughput (measured by bench/bench_crawl.py; see its figures before changing these) ------
# Default 100: Scrapy starts that many tasks for every response's output, though a thread page
# yields about 20 items and the pipelines do CPU work: 0.5 ms per page for nothing.
CONCURRENT_ITEMS = 32
# Default Scrapy's: it builds a DEBUG record per page and per item that LOG_LEVEL=INFO then drops.
LOG_FORMATTER = "tlcrawl.logformatter.LogFormatter"

# --- JavaScript rendering (tlcrawl/rendering/, `-a render=auto|always|never`) ------------------
# The add-on reads TLCRAWL_RENDER (the spider's `render` argument when given) and installs the
# rendering middlewares and, unless render=never, the Playwright download handler for that crawl
# only (default: no add-ons).
ADDONS = {"tlcrawl.rendering.RenderingAddon": 0}
TLCRAWL_RENDER = "auto"  # for crawls without a `render` argument
# The system's Chromium (Debian `chromium-headless-shell`); `playwright install` is never needed.
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": os.environ.get(
        "TLCRAWL_CHROMIUM", "/usr/lib/chromium/chromium-headless-shell"
    ),
    "headless": True,
    "args": [
        *("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"),
        *("--disable-background-networking", "--disable-component-update", "--disable-sync"),
        # Images are never requested (PLAYWRIGHT_ABORT_REQUEST would still see each one).
        "--blink-settings=imagesEnabled=false",
    ],
}
# Images, fonts, media, styles and embedded players are not fetched by the browser.
PLAYWRIGHT_ABORT_REQUEST = "tlcrawl.rendering.browser.abort_request"
# Default: CONCURRENT_REQUESTS (16) pages at once; a browser page costs far more than a request.
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 8
# Seconds a rendered page may take to get past a challenge and show its posts, then it fails.
TLCRAWL_RENDER_TIMEOUT = defaults.RENDER_TIMEOUT
