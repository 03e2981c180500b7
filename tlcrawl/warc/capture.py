"""Capture: every response the crawl receives, written as WARC request/response records.

`WarcCaptureMiddleware` sits closest to the downloader (after HttpCacheMiddleware, 900), so it sees
each response as it came off the wire: before decompression, redirects, retries and rendering
decisions (a challenge page is kept, and so is the page the browser rendered after it). It only
copies what it needs and hands it to a writer thread: gzip, digests and disk writes never run on
the reactor. The record id and file name are chosen here, on the reactor, so that the spider can
copy them into the items it reads from the page (`response.meta["warc_source"]`).

One file set per crawl, `tlcrawl-<spider>-<UTC time>-<pid>-<serial>.warc.gz` in TLCRAWL_WARC_DIR; a
new file starts once the current one holds TLCRAWL_WARC_MAX_BYTES (it may exceed it by the records
already queued). Each file starts with a warcinfo record.

The writer thread also takes barriers (`WarcFileSet.barrier`, answering RAW_PAGES_DURABLE): it
flushes and fsyncs the open file when it reaches one, so the captures queued before the barrier are
on disk before storage writes documents that name them (see tlcrawl.warc).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.asyncio import run_in_thread
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from tlcrawl import defaults
from tlcrawl.warc import RAW_PAGES_DURABLE, RENDERED_HEADER, SOURCE_META

logger = logging.getLogger(__name__)

# Scrapy's HTTP client has already removed the chunked framing from the body: a record claiming
# `Transfer-Encoding: chunked` would not parse. The length is recomputed from the body instead.
DROPPED_RESPONSE_HEADERS = frozenset({"transfer-encoding", "content-length"})
# The browser hands over the rendered document as decoded text.
DROPPED_RENDERED_HEADERS = DROPPED_RESPONSE_HEADERS | {"content-encoding"}


@dataclass
class Capture:
    """What one response record and its request record need, copied on the reactor."""

    file: str
    record_id: str
    date: str
    url: str
    method: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int
    response_headers: list[tuple[str, str]]
    body: bytes
    ip_address: str | None
    rendered: str | None


@dataclass
class _Barrier:
    """A mark in the writer's queue: `reached` is set once every capture before it is on disk."""

    reached: threading.Event = field(default_factory=threading.Event)


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def _headers(headers, dropped: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    # Header bytes are ISO-8859-1 on the wire; latin-1 round-trips every byte.
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        if name.decode("latin-1").lower() not in dropped
        for value in values
    ]


def capture_of(request: Request, response: Response, file: str, record_id: str) -> Capture:
    rendered = request.meta.get("rendering_reason") if request.meta.get("playwright") else None
    status = response.status
    if rendered:
        # The browser reports the first navigation's status (a solved challenge's 503); the page
        # kept is the document it ended on (see tlcrawl.rendering.middleware).
        from tlcrawl.rendering.browser import settle_result

        status = (settle_result(request.meta) or {}).get("status") or status
    response_headers = _headers(
        response.headers, DROPPED_RENDERED_HEADERS if rendered else DROPPED_RESPONSE_HEADERS
    )
    response_headers.append(("Content-Length", str(len(response.body))))
    return Capture(
        file=file,
        record_id=record_id,
        date=datetime_to_iso_date(datetime.now(UTC).replace(tzinfo=None), use_micros=True),
        url=response.url,
        method=request.method,
        request_headers=_headers(request.headers),
        request_body=request.body,
        status=status,
        response_headers=response_headers,
        body=response.body,
        ip_address=str(response.ip_address) if response.ip_address else None,
        rendered=rendered,
    )


class WarcFileSet:
    """The crawl's WARC files, written by one thread from a queue.

    `file_for_next_record` runs on the reactor and decides rotation from the bytes the writer has
    reported; the writer thread opens files as the captures name them.
    """

    def __init__(self, directory: Path, prefix: str, max_bytes: int, info: dict[str, str]):
        self.directory = directory
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.info = info
        self.serial = 0
        self.written: dict[str, int] = {}  # bytes per file, updated by the writer thread
        self.records = 0
        self.errors = 0
        self.queue: queue.Queue[Capture | _Barrier | None] = queue.Queue()
        self.closing = False
        self.thread = threading.Thread(target=self._write_all, name="warc-writer", daemon=True)
        self.thread.start()

    def name(self, serial: int) -> str:
        return f"{self.prefix}-{serial:05d}.warc.gz"

    def file_for_next_record(self) -> str:
        if self.written.get(self.name(self.serial), 0) >= self.max_bytes:
            self.serial += 1
        return self.name(self.serial)

    def put(self, capture: Capture) -> None:
        self.queue.put(capture)

    def barrier(self) -> Callable[[float], bool] | None:
        """A wait (seconds -> True once done) for the captures queued so far to be written and
        fsynced; None once closing (everything is then written and closed anyway)."""
        if self.closing:
            return None
        mark = _Barrier()
        self.queue.put(mark)
        return mark.reached.wait

    def drain(self) -> None:
        """Block until every capture queued so far is written (or its failure logged)."""
        self.queue.join()

    def close(self) -> None:
        """Write what is queued, close the last file (blocks: call it from a thread)."""
        self.closing = True
        self.queue.put(None)
        self.thread.join()

    # --- writer thread ---------------------------------------------------------------------

    def _write_all(self) -> None:
        out, writer, current = None, None, None
        try:
            while (capture := self.queue.get()) is not None:
                try:
                    if isinstance(capture, _Barrier):
                        self._reach(capture, out)
                        continue
                    if capture.file != current:
                        if out:
                            self._close(out)  # a failure is counted: this page is still written
                        out = writer = current = None
                        out, writer = self._open(capture.file)
                        current = capture.file
                    self._write(writer, capture)
                    self.written[current] = out.tell()
                    self.records += 2
                except OSError as error:  # disk full, directory gone: count, log, go on
                    self.errors += 1
                    logger.error("WARC write failed for %s: %s", capture.url, error)
                except Exception:  # a bug: the writer must live on for the other pages
                    self.errors += 1
                    logger.exception("WARC write failed for %s", capture.url)
                finally:
                    self.queue.task_done()
        finally:
            if out:
                self._close(out)

    def _close(self, out) -> None:
        """Close a WARC file durably: a rotated file is never again synced by a barrier."""
        try:
            with out:  # closed whatever the sync does
                _sync(out)
        except OSError as error:
            self.errors += 1
            logger.error("WARC file not closed cleanly (%s): %s", out.name, error)

    def _reach(self, barrier: _Barrier, out) -> None:
        try:
            if out:
                _sync(out)
        except Exception as error:  # counted: the crawl fails its checks, storage goes on
            self.errors += 1
            logger.error("WARC fsync failed (%s): %s", out.name, error)
        finally:
            barrier.reached.set()

    def _open(self, name: str):
        self.directory.mkdir(parents=True, exist_ok=True)
        out = open(self.directory / name, "ab")  # noqa: SIM115 (closed by _write_all)
        writer = WARCWriter(out, gzip=True, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record(name, self.info))
        return out, writer

    @staticmethod
    def _write(writer: WARCWriter, capture: Capture) -> None:
        warc_headers = {
            "WARC-Record-ID": capture.record_id,
            "WARC-Date": capture.date,
        }
        if capture.ip_address:
            warc_headers["WARC-IP-Address"] = capture.ip_address
        if capture.rendered:
            warc_headers[RENDERED_HEADER] = capture.rendered
        status_line = f"{capture.status} {_reason(capture.status)}"
        response = writer.create_warc_record(
            capture.url,
            "response",
            payload=BytesIO(capture.body),
            length=len(capture.body),
            http_headers=StatusAndHeaders(status_line, capture.response_headers, "HTTP/1.1"),
            warc_headers_dict=warc_headers,
        )
        parts = urlsplit(capture.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request_headers = [("Host", parts.netloc), *capture.request_headers]
        request = writer.create_warc_record(
            capture.url,
            "request",
            payload=BytesIO(capture.request_body),
            length=len(capture.request_body),
            http_headers=StatusAndHeaders(
                f"{capture.method} {target} HTTP/1.1", request_headers, is_http_request=True
            ),
            warc_headers_dict={"WARC-Date": capture.date},
        )
        writer.write_request_response_pair(request, response)


def _sync(out) -> None:
    """What was written to `out` is on disk: through Python's buffer and the OS's cache."""
    out.flush()
    os.fsync(out.fileno())


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class WarcCaptureMiddleware:
    """Downloader middleware: every response goes to the crawl's WARC files."""

    def __init__(self, crawler, directory: Path, max_bytes: int):
        self.crawler = crawler
        self.directory = directory
        self.max_bytes = max_bytes
        self.files: WarcFileSet | None = None

    @classmethod
    def from_crawler(cls, crawler):
        directory = crawler.settings.get("TLCRAWL_WARC_DIR")
        if not directory:
            raise NotConfigured("TLCRAWL_WARC_DIR is empty: WARC capture is off")
        max_bytes = crawler.settings.getint("TLCRAWL_WARC_MAX_BYTES", defaults.WARC_MAX_BYTES)
        middleware = cls(crawler, Path(directory), max_bytes)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(middleware.raw_pages_durable, signal=RAW_PAGES_DURABLE)
        return middleware

    def raw_pages_durable(self) -> Callable[[float], bool] | None:
        """Storage is about to write documents read from the pages captured so far."""
        return self.files.barrier() if self.files is not None else None

    def spider_opened(self, spider) -> None:
        started = datetime.now(UTC)
        prefix = f"tlcrawl-{spider.name}-{started:%Y%m%dT%H%M%SZ}-{os.getpid()}"
        info = {
            "software": f"tlcrawl (Scrapy {scrapy.__version__})",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "isPartOf": prefix,
            "http-header-user-agent": self.crawler.settings.get("USER_AGENT"),
            "robots": "obey" if self.crawler.settings.getbool("ROBOTSTXT_OBEY") else "ignore",
        }
        self.files = WarcFileSet(self.directory, prefix, self.max_bytes, info)
        logger.info("Keeping raw pages as WARC: %s/%s-*.warc.gz", self.directory, prefix)

    def process_response(self, request: Request, response: Response, spider=None):
        if self.files is None:
            return response
        record_id = new_record_id()
        name = self.files.file_for_next_record()
        self.files.put(capture_of(request, response, name, record_id))
        request.meta[SOURCE_META] = {"warc_file": name, "warc_record_id": record_id}
        self.crawler.stats.inc_value("warc/responses")
        return response

    def spider_idle(self, spider) -> None:
        """Let the writer catch up while the crawl is still open: a write that fails at close
        would be logged after Scrapy stopped counting errors (LogCount and the crawl's checks
        run first at spider_closed) and pass unnoticed. Idle, the queue is a few pages at most."""
        if self.files is not None:
            self.files.drain()

    async def spider_closed(self, spider) -> None:
        if self.files is None:
            return
        await run_in_thread(self.files.close)
        files = self.files
        stats = self.crawler.stats
        stats.set_value("warc/files", len(files.written))
        stats.set_value("warc/bytes", sum(files.written.values()))
        stats.set_value("warc/records", files.records)
        if files.errors:
            stats.set_value("warc/write_errors", files.errors)
        logger.info(
            "WARC: %d records in %d files, %d bytes (%s)",
            files.records,
            len(files.written),
            sum(files.written.values()),
            self.directory,
        )
