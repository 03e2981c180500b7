"""Defaults that more than one part of tlcrawl falls back on, each defined once.

tlcrawl/settings.py sets the crawl's settings from these (and the environment); components read
the settings and fall back on the same names when run outside the project (a bare Crawler in a
test, the CLI, replay). Collection names live in tlcrawl/storage/schema.py.
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
