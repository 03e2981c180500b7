"""Raw pages kept as WARC files, and re-parsing the archive from them without the network.

- `capture`: a downloader middleware writes every response the crawl receives (and the request that
  asked for it) to gzip-compressed, size-rotated WARC files, from a writer thread.
- `store`: reads WARC files from any tool (warcio, wget, tlcrawl), newest capture of a URL wins.
- `reparse`: `tlcrawl reparse PATH...` runs the `threads` spider against a WARC store instead of the
  network, through the same parsing and item pipelines into MongoDB.

Provenance: the capture middleware puts `{"warc_file", "warc_record_id"}` of the response record in
`response.meta[SOURCE_META]` before the spider sees the page; the spider copies it into the `source`
field of the posts and threads it reads from that page.

Durability: a stored document never names a record that is not on disk. When storage hands a batch
over it sends RAW_PAGES_DURABLE; the capture middleware answers with a wait that returns once every
page captured so far is written and fsynced (storage.writer.BulkWriter waits before writing). A kill
-9 or a reboot can lose pages from the WARC files only if no stored document names them yet, and
those pages are fetched again by the resume.
"""

from __future__ import annotations

SOURCE_META = "warc_source"
# A response record of a page rendered by the browser carries this WARC header (the value: why).
RENDERED_HEADER = "WARC-Tlcrawl-Rendered"
# A Scrapy signal sent by storage as it hands a batch of documents over; a receiver returns a wait
# (seconds -> True once the raw pages captured before the signal are durable, False on timeout).
RAW_PAGES_DURABLE = object()


def source_of(meta: dict) -> dict[str, str] | None:
    """The WARC file and record the page in this response meta was read from (None: no capture)."""
    return meta.get(SOURCE_META)
