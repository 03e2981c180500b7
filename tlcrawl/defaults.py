"""The default of every tlcrawl setting that code also falls back on, each defined once.

tlcrawl/settings.py sets the crawl's settings from these (and the environment), with the reasons
for each value; components read the settings and fall back on the same names when run outside the
project (a bare Crawler in a test, the CLI, replay). Collection names live in
tlcrawl/storage/schema.py.
"""

from __future__ import annotations

# The forum archived by default; tests and the demo point crawls at the local replica instead.
BASE_URL = "https://tl.net"

# A MongoDB server on this machine (`make db` serves one there).
MONGODB_URI = "mongodb://127.0.0.1:27017"
MONGODB_DATABASE = "tlcrawl"

# Writer tuning (tlcrawl/storage/writer.py): documents per unordered bulk upsert (see the
# setting's comment for why 100); the longest a document waits in the buffer; how long a failed
# flush is retried before it is dead-lettered.
MONGODB_BATCH_SIZE = 100
MONGODB_FLUSH_SECONDS = 2.0
MONGODB_RETRY_SECONDS = 60.0
# Documents that could not be written, in a file created only on failure.
MONGODB_DEAD_LETTER_PATH = "data/dead-letter/{spider}-{timestamp}.jsonl"

# Seconds a rendered page may take to get past a challenge and show its posts, then it fails.
RENDER_TIMEOUT = 20.0

# Rendering: auto renders only the pages that need a browser (tlcrawl.rendering).
RENDER_MODES = ("auto", "always", "never")
RENDER = "auto"

# The spider's bounds: listed threads crawled at once; pages a thread may have.
THREADS_IN_FLIGHT = 8
MAX_THREAD_PAGES = 50_000

# Raw pages: the WARC directory, and the size at which a new file starts.
WARC_DIR = "data/warc"
WARC_MAX_BYTES = 1_000_000_000

# Operations: reports and the crawl history; the start-up database check; progress lines; the
# largest drop in the share of quotes resolved that a crawl may show.
REPORT_DIR = "data/reports"
PREFLIGHT_DB_SECONDS = 5.0
PROGRESS_INTERVAL = 60.0
MAX_QUOTES_RESOLVED_DROP = 0.05
# The end-of-crawl checks: finish reasons that count as finished; ERROR lines and thread pages
# without posts a crawl may have and still pass.
EXPECTED_FINISH_REASONS = ("finished",)
MAX_ERRORS = 0
MAX_PAGES_WITHOUT_POSTS = 0

# 429 and 503 answers with Retry-After (tlcrawl.middlewares.retry_after): the longest wait
# honoured, and how many such waits one request gets.
RETRY_AFTER_MAX_SECONDS = 120.0
RETRY_AFTER_MAX_TRIES = 5
