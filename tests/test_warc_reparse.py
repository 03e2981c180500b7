"""End to end: crawl with WARC capture, drop the database, `tlcrawl reparse` gives it back; WARC
files written by another tool re-parse into the replica's truth. Real processes throughout: the
replica, `scrapy crawl`, `tlcrawl reparse`, the MongoDB server, `warcio check` and `warcio index`.

Each test starts its own replica and stops it before re-parsing: a re-parse that tried the network
would find nothing there and lose pages.
"""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.crawling import scrapy_args
from tests.servers import ROOT, scrapy_env, start_replica
from tests.support import replica_truth
from tests.truth import COLLECTION_OF_KIND, RESOLUTION, by_type, differences

BIN = Path(sys.executable).parent
# Two subforums, multi-page threads (the long one has 4 pages), quotes across pages.
OPTIONS = ("--forums", "2", "--threads-per-forum", "12", "--long-pages", "4")
# Crawl times (when a document or a forum's index pass was last written) and provenance.
NOT_COMPARED = {"crawled_at": 0, "synced_at": 0, "source": 0}


def _crawl(base_url: str, env: dict, *args: str) -> subprocess.CompletedProcess:
    command = [str(BIN / "scrapy"), "crawl", "threads", "-a", f"base_url={base_url}", *args]
    command += scrapy_args()
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def _reparse(env: dict, *paths: Path) -> subprocess.CompletedProcess:
    command = [str(BIN / "tlcrawl"), "reparse", *map(str, paths)]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def _documents(db) -> dict[str, dict]:
    return {
        name: {doc["_id"]: doc for doc in db[name].find({}, NOT_COMPARED)}
        for name in COLLECTION_OF_KIND.values()
    }


def _warcio(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "warcio"), *args], capture_output=True, text=True, timeout=120)


def _index(path: Path) -> list[dict]:
    done = _warcio("index", "-f", "warc-type,warc-target-uri,warc-record-id", str(path))
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_crawl_then_reparse_gives_back_the_same_database(
    tmp_path, mongo_server, mongo_client, mongo_db_name
):
    replica = start_replica(tmp_path / "replica.log", *OPTIONS)
    warc_dir = tmp_path / "warc"
    env = scrapy_env(
        MONGODB_URI=mongo_server.url, MONGODB_DATABASE=mongo_db_name, TLCRAWL_WARC_DIR=str(warc_dir)
    )
    try:
        # A small size limit: the crawl's pages spread over several files.
        crawled = _crawl(replica.url, env, "-s", "TLCRAWL_WARC_MAX_BYTES=60000")
        assert crawled.returncode == 0, crawled.stderr[-3000:]
        truth = replica_truth(*OPTIONS, base_url=replica.url)
    finally:
        replica.stop()
    db = mongo_client[mongo_db_name]
    crawl = _documents(db)
    assert len(crawl["posts"]) == len(by_type(truth, "post"))
    assert sum(bool(q["parent_id"]) for p in crawl["posts"].values() for q in p["quotes"]) > 20

    files = sorted(warc_dir.glob("*.warc.gz"))
    assert len(files) > 1
    checked = _warcio("check", "-v", *map(str, files))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    records = {f.name: _index(f) for f in files}
    for name, entries in records.items():
        assert entries[0]["warc-type"] == "warcinfo", name
    responses = {
        (name, e["warc-record-id"]): e["warc-target-uri"]
        for name, entries in records.items()
        for e in entries
        if e["warc-type"] == "response"
    }
    # Provenance: every post names the record of the page it is on.
    threads = by_type(truth, "thread")
    for post in db.posts.find():
        page_url = threads[post["thread_id"]]["url"]
        if post["page"] > 1:
            page_url += f"?page={post['page']}"
        source = post["source"]
        assert responses[(source["warc_file"], source["warc_record_id"])] == page_url
    for thread in db.threads.find():
        source = thread["source"]
        assert responses[(source["warc_file"], source["warc_record_id"])].startswith(thread["url"])

    mongo_client.drop_database(mongo_db_name)
    done = _reparse(env, warc_dir)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "Re-parsed" in done.stdout
    assert "Re-parse: " in done.stderr  # the progress line (the last one at the end)
    assert _documents(db) == crawl
    assert "pages missing from the WARC files: 0" in done.stdout


# Captures the URLs given on the command line with warcio's capture_http (a separate process:
# capture_http patches http.client for the whole interpreter).
CAPTURE = """
import sys, urllib.request
from warcio.capture_http import capture_http
with capture_http(sys.argv[1], gzip=True):
    for url in sys.argv[2:]:
        urllib.request.urlopen(url).read()
"""


def _members(path: Path) -> list[tuple[dict, bytes]]:
    """Each record's headers and its raw gzip member, as another tool wrote them."""
    data = path.read_bytes()
    found = []
    with path.open("rb") as stream:
        iterator = ArchiveIterator(stream)
        for record in iterator:
            headers = dict(record.rec_headers.headers)
            record.content_stream().read()
            start, length = iterator.get_record_offset(), iterator.get_record_length()
            found.append((headers, data[start : start + length]))
    return found


def _record(url: str, body: bytes, date: str, kind: str = "response") -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], "HTTP/1.0")
    record = writer.create_warc_record(
        url,
        kind,
        payload=io.BytesIO(body),
        length=len(body),
        http_headers=http if kind == "response" else None,
        warc_headers_dict={"WARC-Date": date},
    )
    writer.write_record(record)
    return out.getvalue()


def _pages_of(truth: list[dict], base_url: str) -> list[str]:
    """Every page a crawl reads, from the truth alone (forum list, indexes, thread pages)."""
    pages = [f"{base_url}/forum/"]
    pages += [forum["url"] for forum in by_type(truth, "forum").values()]
    for thread in by_type(truth, "thread").values():
        pages += [thread["url"]] + [
            f"{thread['url']}?page={n}" for n in range(2, thread["pages"] + 1)
        ]
    return pages


@pytest.fixture
def other_tool_warcs(tmp_path):
    """WARC files of the replica written by warcio (not tlcrawl), shuffled over two files, with
    duplicates and an older, different capture of one page read last; returns (files, truth)."""
    options = ("--forums", "1", "--threads-per-forum", "8", "--long-pages", "3")
    replica = start_replica(tmp_path / "replica.log", *options)
    try:
        truth = replica_truth(*options, base_url=replica.url)
        pages = _pages_of(truth, replica.url)
        first = next(iter(by_type(truth, "thread").values()))["url"]
        # Page 1 once more in the ?page=1 form, and the subforum index twice.
        pages += [f"{first}?page=1", pages[1]]
        captured = tmp_path / "capture.warc.gz"
        command = [sys.executable, "-c", CAPTURE, str(captured), *pages]
        subprocess.run(command, check=True, timeout=120)
    finally:
        replica.stop()
    members = _members(captured)
    assert sum(h["WARC-Type"] == "response" for h, _ in members) == len(pages)
    random.Random(14).shuffle(members)
    long_thread = max(by_type(truth, "thread").values(), key=lambda t: t["pages"])
    page_two = f"{long_thread['url']}?page=2"
    real = next(raw for h, raw in members if h["WARC-Target-URI"] == page_two)
    body = next(iter(ArchiveIterator(io.BytesIO(real)))).content_stream().read()
    altered = body.replace(b'class="forumPost', b'class="forumPost-gone', 3)
    assert altered != body
    older = _record(page_two, altered, "2001-01-01T00:00:00Z")
    log = _record("urn:wget-log", b"wget log", "2001-01-01T00:00:00Z", kind="resource")
    half = len(members) // 2
    files = [tmp_path / "b.warc.gz", tmp_path / "a.warc.gz"]
    files[0].write_bytes(b"".join(raw for _, raw in members[:half]))
    files[1].write_bytes(log + b"".join(raw for _, raw in members[half:]) + older)
    return files, truth, page_two


def test_warc_from_another_tool_reparses_into_the_truth(
    other_tool_warcs, mongo_server, mongo_client, mongo_db_name
):
    files, truth, _ = other_tool_warcs
    env = scrapy_env(MONGODB_URI=mongo_server.url, MONGODB_DATABASE=mongo_db_name)
    done = _reparse(env, *files)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    db = mongo_client[mongo_db_name]
    for kind, collection in COLLECTION_OF_KIND.items():
        stored = {doc["_id"]: doc for doc in db[collection].find()}
        assert differences(by_type(truth, kind), stored, ignore=RESOLUTION) == [], kind
    # The stored posts of the page captured twice name the newer capture.
    for post in db.posts.find({"page": 2}):
        assert post["source"]["warc_file"] in {f.name for f in files}


def test_warc_written_by_wget_reparses_into_the_truth(
    tmp_path, mongo_server, mongo_client, mongo_db_name
):
    options = ("--forums", "1", "--threads-per-forum", "5", "--long-pages", "3")
    replica = start_replica(tmp_path / "replica.log", *options)
    try:
        truth = replica_truth(*options, base_url=replica.url)
        (tmp_path / "urls.txt").write_text("\n".join(_pages_of(truth, replica.url)) + "\n")
        command = ["wget", "--no-verbose", "--warc-file", str(tmp_path / "wget")]
        command += ["--input-file", str(tmp_path / "urls.txt"), "--directory-prefix", str(tmp_path)]
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    finally:
        replica.stop()
    env = scrapy_env(MONGODB_URI=mongo_server.url, MONGODB_DATABASE=mongo_db_name)
    done = _reparse(env, tmp_path / "wget.warc.gz")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    db = mongo_client[mongo_db_name]
    for kind, collection in COLLECTION_OF_KIND.items():
        stored = {doc["_id"]: doc for doc in db[collection].find()}
        assert differences(by_type(truth, kind), stored, ignore=RESOLUTION) == [], kind


def test_reparse_with_a_page_missing_exits_non_zero_with_one_line(
    other_tool_warcs, tmp_path, mongo_server, mongo_db_name
):
    files, _, page_two = other_tool_warcs
    # Both captures of one thread page left out: its thread cannot be complete.
    for path in files:
        kept = [raw for h, raw in _members(path) if h.get("WARC-Target-URI") != page_two]
        path.write_bytes(b"".join(kept))
    env = scrapy_env(MONGODB_URI=mongo_server.url, MONGODB_DATABASE=mongo_db_name)
    done = _reparse(env, *files)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "1 pages missing from the WARC files" in errors[0]
    assert "Traceback" not in done.stderr


def test_reparse_usage_errors(tmp_path, mongo_server, other_tool_warcs):
    """Usage errors are said at once, before MongoDB is tried; an unreachable MongoDB is exit 3."""
    env = scrapy_env(MONGODB_URI=mongo_server.url, MONGODB_DATABASE="unused")
    (tmp_path / "empty").mkdir()
    empty = _reparse(env, tmp_path / "empty")
    assert empty.returncode == 2
    assert "no .warc or .warc.gz files" in empty.stderr
    closed = scrapy_env(MONGODB_URI="mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=500")
    assert _reparse(closed).returncode == 2  # no PATH given
    missing = _reparse(closed, tmp_path / "nothing-here")  # said before MongoDB is looked for
    assert missing.returncode == 2
    assert "no such file or directory" in missing.stderr
    unreachable = _reparse(closed, *other_tool_warcs[0])
    assert unreachable.returncode == 3
    assert "cannot reach MongoDB" in unreachable.stderr


def test_a_file_cut_short_by_a_kill_fails_nothing_when_the_resume_captured_its_pages(
    other_tool_warcs, tmp_path, mongo_server, mongo_db_name
):
    files, _, _ = other_tool_warcs
    # The killed crawl's file: a page, then the record being written at the kill, cut in half.
    # The resume captured both pages again (the other files hold every page).
    whole, cut = [raw for h, raw in _members(files[0]) if h["WARC-Type"] == "response"][:2]
    killed = tmp_path / "killed.warc.gz"
    killed.write_bytes(whole + cut[: len(cut) // 2])
    env = scrapy_env(MONGODB_URI=mongo_server.url, MONGODB_DATABASE=mongo_db_name)
    done = _reparse(env, *files, killed)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "pages missing from the WARC files: 0;" in done.stdout
    assert "files cut short: 1" in done.stdout
