"""Reading: the newest captured response of every URL in a set of WARC files from any tool.

Opening a store reads every record header once and keeps only where each URL's newest response
record is (file and offset); a page's body is read when it is asked for. Records may come in any
order, over any number of files, with duplicates: the capture with the latest `WARC-Date` wins, and
between equal dates the one read last (files in name order, records in file order). Request,
metadata, warcinfo and revisit records are skipped: a revisit says "same as an earlier capture",
and that earlier response is what the store serves.

URLs are compared in a canonical form (w3lib's, with the forum's thread and index page URLs in the
form the spider builds), so `?page=1` from another tool finds the spider's bare page-1 URL.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from w3lib.url import canonicalize_url
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeadersParserException
from warcio.timeutils import iso_date_to_datetime

from tlcrawl.parsing import urls

logger = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc", ".warc.gz")
BLOCK_SIZE = 65536
# The body is decoded (chunks joined, gzip undone): the response handed to Scrapy says so.
DECODED_HEADERS = frozenset({b"content-encoding", b"transfer-encoding", b"content-length"})


class NoWarcFiles(ValueError):
    """A path that is neither a WARC file nor a directory holding some."""


def url_key(url: str) -> str:
    """The form two URLs of the same page share."""
    ref = urls.parse_thread_url(url)
    if ref is not None and ref.forum and not (ref.last_page or ref.view_all):
        url = urls.thread_page_url(url, ref.page)
    return canonicalize_url(url)


@dataclass(frozen=True)
class Entry:
    """Where the newest response record of one URL is."""

    url: str
    date: datetime
    order: int  # breaks ties between equal dates: later read wins
    path: Path
    offset: int


@dataclass
class Page:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    source: dict[str, str]  # {"warc_file", "warc_record_id"}: provenance for the items


@dataclass
class WarcStore:
    entries: dict[str, Entry] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    records: Counter = field(default_factory=Counter)  # what was read, by kind
    problems: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, paths: Iterable[str | Path]) -> WarcStore:
        store = cls()
        for path in warc_files(paths):
            store.add_file(path)
        return store

    def __len__(self) -> int:
        return len(self.entries)

    def add_file(self, path: Path) -> None:
        self.files.append(path)
        try:
            with path.open("rb") as stream:
                iterator = ArchiveIterator(stream)
                for record in iterator:
                    self._add_record(record, path, iterator)
        except (
            ArchiveLoadFailed,
            StatusAndHeadersParserException,
            OSError,
            ValueError,
            EOFError,
        ) as error:
            # A file cut short (a crawl killed mid-write) keeps the records before the cut.
            self.records["unreadable"] += 1
            message = f"{path}: stopped reading after an unreadable record ({error})"
            self.problems.append(message)
            logger.warning(message)

    def _add_record(self, record, path: Path, iterator: ArchiveIterator) -> None:
        kind = record.rec_type
        uri = (record.rec_headers.get_header("WARC-Target-URI") or "").strip("<> ")
        if kind != "response" or not uri.startswith(("http://", "https://")):
            self.records[f"skipped {kind}"] += 1
            return
        if _cut_short(record):
            self.records["unreadable"] += 1
            self.problems.append(f"{path}: response record for {uri} is cut short, ignored")
            logger.warning(self.problems[-1])
            return
        self.records["response"] += 1
        date = _date(record.rec_headers.get_header("WARC-Date"))
        offset = iterator.get_record_offset()
        entry = Entry(uri, date, self.records["response"], path, offset)
        key = url_key(uri)
        known = self.entries.get(key)
        if known is None or (entry.date, entry.order) >= (known.date, known.order):
            self.entries[key] = entry

    # --- lookups -----------------------------------------------------------------------------

    def get(self, url: str) -> Entry | None:
        return self.entries.get(url_key(url))

    def __contains__(self, url: str) -> bool:
        return url_key(url) in self.entries

    def urls(self) -> Iterator[str]:
        return (entry.url for entry in self.entries.values())

    def read(self, entry: Entry) -> Page:
        """The recorded response (blocking file I/O: call it from a thread)."""
        with entry.path.open("rb") as stream:
            stream.seek(entry.offset)
            record = next(iter(ArchiveIterator(stream)))
            body = record.content_stream().read()
            http = record.http_headers
            headers = [
                (name.encode("latin-1"), value.encode("latin-1"))
                for name, value in http.headers
                if name.lower().encode("latin-1") not in DECODED_HEADERS
            ]
            source = {
                "warc_file": entry.path.name,
                "warc_record_id": record.rec_headers.get_header("WARC-Record-ID"),
            }
            return Page(int(http.get_statuscode() or 200), headers, body, source)


def _date(value: str | None) -> datetime:
    """A record's WARC-Date; one without a readable date counts as the oldest capture."""
    try:
        return iso_date_to_datetime(value)
    except (TypeError, ValueError):
        return datetime.min


def _cut_short(record) -> bool:
    """Its block ends before its Content-Length (a crawl killed while writing it)."""
    stream = record.raw_stream
    while stream.read(BLOCK_SIZE):
        pass
    return getattr(stream, "limit", 0) > 0


def warc_files(paths: Iterable[str | Path]) -> list[Path]:
    """The WARC files named, or found under the directories named, in name order per argument."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.name.endswith(WARC_SUFFIXES))
            if not inside:
                raise NoWarcFiles(f"no .warc or .warc.gz files under {path}")
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        else:
            raise NoWarcFiles(f"no such file or directory: {path}")
    return found
