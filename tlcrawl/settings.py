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
# SiteOnlyMiddleware (before robots.txt, 100): requests and redirects stay on the crawl's site.
# WarcCaptureMiddleware (tlcrawl/warc/, TLCRAWL_WARC_DIR below) is closest to the downloader, after
# HttpCacheMiddleware (900): it sees and keeps each response as it came.
DOWNLOADER_MIDDLEWARES = {
    "tlcrawl.middlewares.site_only.SiteOnlyMiddleware": 40,
    "tlcrawl.middlewares.retry_after.RetryAfterMiddleware": 580,
    "tlcrawl.warc.capture.WarcCaptureMiddleware": 950,
}
RETRY_AFTER_MAX_SECONDS = defaults.RETRY_AFTER_MAX_SECONDS
RETRY_AFTER_MAX_TRIES = defaults.RETRY_AFTER_MAX_TRIES
DOWNLOAD_TIMEOUT = 60  # default 180: a forum page that takes a minute is a failed request
# default LIFO (depth-first): a thread's pages, requested together, would arrive last page first
# and be held until page 1 came. FIFO fetches them in page order, so each page is released (and
# stored) as it arrives: memory and what a crash can lose stay a few pages per thread.
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
# default 5 MB: how far the crawl may run ahead of its item pipelines (the MongoDB writer), in
# response bytes. At 250 kB (three or four thread pages) a kill -9 loses at most that much fetched
# but unwritten work, and memory stays small when the database is slower than the site.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 250_000
# Listed threads crawled at once (tlcrawl's own; see the spider's _dispatch): enough to keep
# CONCURRENT_REQUESTS_PER_DOMAIN busy on one-page threads, few enough that an interrupted crawl
# re-fetches little and memory holds few threads.
TLCRAWL_THREADS_IN_FLIGHT = defaults.THREADS_IN_FLIGHT
# --- Bounds -----------------------------------------------------------------------------------
# default 1 GiB: the largest forum page is a few MB; a larger answer is a fault (the request
# fails, is counted under thread_page/failed and logged, and its thread is stored incomplete).
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
# Pages a thread may have when its reply count is unknown (tl.net's longest threads have a few
# thousand); with a reply count, the pager may claim at most 2 pages more than it allows.
TLCRAWL_MAX_THREAD_PAGES = defaults.MAX_THREAD_PAGES

# --- Output -----------------------------------------------------------------------------------
FEED_EXPORT_ENCODING = "utf-8"  # default None (ASCII-escaped JSON): keep Korean text readable
ITEM_PIPELINES = {
    "tlcrawl.pipelines.release_order.ReleaseOrderPipeline": 50,  # each thread's items in order
    "tlcrawl.pipelines.clean_posts.CleanPostsPipeline": 100,
    "tlcrawl.pipelines.quote_parents.QuoteParentsPipeline": 200,
    # Items in a feed are complete without MongoDB: crawled_at is set just before the writer.
    "tlcrawl.pipelines.crawled_at.CrawledAtPipeline": 850,
    "tlcrawl.pipelines.mongo_writer.MongoWriterPipeline": 900,
}

# MongoDB: an empty MONGODB_URI switches the writer off (feeds alone still work).
MONGODB_URI = os.environ.get("MONGODB_URI", defaults.MONGODB_URI)
MONGODB_DATABASE = os.environ.get("MONGODB_DATABASE", defaults.MONGODB_DATABASE)
# Documents per unordered bulk upsert. Small enough that the writer holds little that a kill -9
# would lose (at most about three batches: the buffer and two queued flushes, ~12 thread pages),
# large enough that a polite crawl (a page is ~25 documents) fills a batch every second or two.
MONGODB_BATCH_SIZE = defaults.MONGODB_BATCH_SIZE
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
TLCRAWL_RENDER = defaults.RENDER  # for crawls without a `render` argument
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

# --- Operations: exit status, checks, report, progress (tlcrawl/monitoring/, README "Crawling
# the real site") ---------------------------------------------------------------------------------
# `scrapy crawl` exits non-zero when the crawl failed or lost data (Scrapy's exits 0 regardless).
COMMANDS_MODULE = "tlcrawl.commands"
EXTENSIONS = {
    # Before the first request: arguments that need the database, and the database answering.
    "tlcrawl.monitoring.preflight.Preflight": 0,
    "tlcrawl.monitoring.progress.ProgressLog": 500,
    "spidermon.contrib.scrapy.extensions.Spidermon": 500,
}
# How long MongoDB may take to answer the check at start.
TLCRAWL_PREFLIGHT_DB_SECONDS = defaults.PREFLIGHT_DB_SECONDS
TLCRAWL_PROGRESS_INTERVAL = defaults.PROGRESS_INTERVAL  # seconds between progress lines (0: none)
# Checks at the end of every crawl (tlcrawl/monitoring/monitors.py); results go to the stats
# (checks/*), a report file per crawl and, when a check fails, the notification webhook.
SPIDERMON_ENABLED = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ["tlcrawl.monitoring.monitors.CrawlChecks"]
TLCRAWL_REPORT_DIR = os.environ.get("TLCRAWL_REPORT_DIR", defaults.REPORT_DIR)
TLCRAWL_EXPECTED_FINISH_REASONS = list(defaults.EXPECTED_FINISH_REASONS)
TLCRAWL_MAX_ERRORS = defaults.MAX_ERRORS  # ERROR log lines a crawl may have and still pass
# Thread pages without posts a crawl may have (the markup changed?).
TLCRAWL_MAX_PAGES_WITHOUT_POSTS = defaults.MAX_PAGES_WITHOUT_POSTS
# A crawl whose share of quotes resolved drops more than this below the previous crawl's fails.
TLCRAWL_MAX_QUOTES_RESOLVED_DROP = defaults.MAX_QUOTES_RESOLVED_DROP
# Where a failing check is reported: a URL that takes a JSON POST {"text": ...} (Slack-style
# incoming webhook). A secret: from the environment only, never logged.
TLCRAWL_NOTIFY_WEBHOOK = os.environ.get("TLCRAWL_NOTIFY_WEBHOOK", "")

# --- Raw pages as WARC (tlcrawl/warc/) ----------------------------------------------------------
# Every response the crawl receives is kept as WARC request/response records under this directory,
# one gzip file set per crawl (`tlcrawl reparse` reads them back). Empty switches capture off.
TLCRAWL_WARC_DIR = os.environ.get("TLCRAWL_WARC_DIR", defaults.WARC_DIR)
TLCRAWL_WARC_MAX_BYTES = defaults.WARC_MAX_BYTES  # start a new file once one holds this many bytes
