"""WARC store rules on hand-made files, and capture of pages rendered by the browser."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_twisted
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.crawling import run_crawl
from tests.servers import ROOT, scrapy_env
from tests.support import replica_truth
from tests.truth import RESOLUTION, by_type, differences
from tlcrawl.warc import RENDERED_HEADER
from tlcrawl.warc.store import NoWarcFiles, WarcStore, url_key, warc_files

BIN = Path(sys.executable).parent
SMALL = ("--forums", "1", "--threads-per-forum", "4")
THREAD = "http://127.0.0.1:8000/forum/games/112002-reynor-discussion-thread"


def _response(url: str, body: bytes, date: str, status: str = "200 OK") -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    headers = [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")]
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)  # as a raw socket capture has it
    record = writer.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(chunked),
        length=len(chunked),
        http_headers=StatusAndHeaders(status, headers, "HTTP/1.1"),
        warc_headers_dict={"WARC-Date": date},
    )
    writer.write_record(record)
    return out.getvalue()


def _store(tmp_path: Path, *files: bytes) -> WarcStore:
    for number, data in enumerate(files):
        (tmp_path / f"{number:02d}.warc.gz").write_bytes(data)
    return WarcStore.open([tmp_path])


def _body(store: WarcStore, url: str) -> bytes:
    return store.read(store.get(url)).body


def test_newest_capture_wins_whatever_the_order_of_files_and_records(tmp_path):
    new = _response(THREAD, b"new", "2024-05-01T10:00:00Z")
    old = _response(THREAD, b"old", "2023-01-01T00:00:00Z")
    store = _store(tmp_path, new, old + _response(THREAD, b"older", "2020-01-01T00:00:00Z"))
    assert _body(store, THREAD) == b"new"
    assert store.records["response"] == 3


def test_between_equal_dates_the_record_read_last_wins(tmp_path):
    date = "2024-05-01T10:00:00Z"
    store = _store(tmp_path, _response(THREAD, b"first", date), _response(THREAD, b"second", date))
    assert _body(store, THREAD) == b"second"


def test_a_capture_without_a_readable_date_counts_as_the_oldest(tmp_path):
    dated = _response(THREAD, b"dated", "2020-01-01T00:00:00Z")
    store = _store(tmp_path, dated + _response(THREAD, b"undated", "someday"))
    assert _body(store, THREAD) == b"dated"


def test_a_page_is_found_under_any_url_form_of_it(tmp_path):
    store = _store(tmp_path, _response(f"<{THREAD}?page=1>", b"one", "2024-05-01T10:00:00Z"))
    assert _body(store, THREAD) == b"one"  # `<...>`: WARC 1.0 writers (wget) put brackets
    assert url_key(f"{THREAD}?page=2") != url_key(THREAD)
    assert url_key("http://h/forum/games/?currentpage=2") == url_key(
        "http://h/forum/games/?currentpage=2"
    )


def test_the_body_is_served_decoded_with_its_status_and_provenance(tmp_path):
    store = _store(
        tmp_path, _response(THREAD, b"<html>x</html>", "2024-05-01T10:00:00Z", "404 Not Found")
    )
    page = store.read(store.get(THREAD))
    assert page.status == 404
    assert page.body == b"<html>x</html>"
    names = {name.lower() for name, _ in page.headers}
    assert b"transfer-encoding" not in names
    assert page.source["warc_file"] == "00.warc.gz"
    assert page.source["warc_record_id"].startswith("<urn:uuid:")


def test_a_gzip_encoded_page_is_served_decoded(tmp_path):
    body = gzip.compress(b"<html>posts</html>")
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    headers = [("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))]
    record = writer.create_warc_record(
        THREAD,
        "response",
        payload=io.BytesIO(body),
        length=len(body),
        http_headers=StatusAndHeaders("200 OK", headers, "HTTP/1.1"),
    )
    writer.write_record(record)
    store = _store(tmp_path, out.getvalue())
    page = store.read(store.get(THREAD))
    assert page.body == b"<html>posts</html>"
    assert not {name.lower() for name, _ in page.headers} & {b"content-encoding", b"content-length"}


def test_a_file_cut_short_keeps_the_records_before_the_cut(tmp_path):
    other = THREAD + "?page=2"
    whole = _response(THREAD, b"kept", "2024-05-01T10:00:00Z")
    cut = _response(other, os.urandom(5000), "2024-05-01T10:00:00Z")  # incompressible
    store = _store(tmp_path, whole + cut[: len(cut) // 2])
    assert _body(store, THREAD) == b"kept"
    assert other not in store
    assert store.records["unreadable"] == 1
    assert "00.warc.gz" in store.problems[0]


def test_only_responses_are_served(tmp_path):
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    get = StatusAndHeaders("GET /forum/ HTTP/1.1", [], is_http_request=True)
    for kind, http in (("request", get), ("metadata", None), ("resource", None)):
        payload = io.BytesIO(b"x")
        record = writer.create_warc_record(THREAD, kind, payload, 1, http_headers=http)
        writer.write_record(record)
    store = _store(tmp_path, out.getvalue())
    assert len(store) == 0
    assert store.records["skipped request"] == 1


def test_paths_must_name_warc_files_or_directories_holding_some(tmp_path):
    with pytest.raises(NoWarcFiles, match="no such file"):
        warc_files([tmp_path / "absent.warc.gz"])
    with pytest.raises(NoWarcFiles, match=r"no \.warc or \.warc\.gz files"):
        warc_files([tmp_path])
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "b.warc").write_bytes(b"")
    (tmp_path / "a.warc.gz").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("x")
    assert [p.name for p in warc_files([tmp_path])] == ["a.warc.gz", "b.warc"]


@pytest_twisted.ensureDeferred
async def test_a_warc_directory_that_cannot_be_written_costs_no_item(replica, tmp_path):
    server = replica(*SMALL)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    result = await run_crawl({"TLCRAWL_WARC_DIR": str(blocked / "warc")}, base_url=server.url)
    assert result.count("post") == len(by_type(replica_truth(*SMALL, base_url=server.url), "post"))
    responses = result.stats["warc/responses"]
    assert responses > 0
    assert result.stats["warc/write_errors"] == responses
    assert result.stats["log_count/ERROR"] == responses  # each logged, with its URL


# --- pages rendered by the browser --------------------------------------------------------------

JS = (*SMALL, "--js-render")  # thread pages whose posts are built by script


@pytest_twisted.ensureDeferred
async def test_rendered_pages_are_captured_as_rendered_and_reparse_into_the_truth(
    replica, tmp_path, mongo_server, mongo_client, mongo_db_name
):
    server = replica(*JS)
    warc_dir = tmp_path / "warc"
    result = await run_crawl({"TLCRAWL_WARC_DIR": str(warc_dir)}, base_url=server.url)
    assert result.stats["rendering/pages"] >= 1
    rendered = []
    for path in warc_dir.glob("*.warc.gz"):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_headers.get_header(RENDERED_HEADER):
                    body = record.content_stream().read()
                    rendered.append((record.http_headers.get_statuscode(), body))
    assert len(rendered) == result.stats["rendering/pages"]
    files = [str(path) for path in warc_dir.glob("*.warc.gz")]
    checked = subprocess.run([str(BIN / "warcio"), "check", *files], capture_output=True)
    assert checked.returncode == 0, checked.stdout
    assert all(status == "200" and b"forumPost" in body for status, body in rendered)

    env = scrapy_env(MONGODB_URI=mongo_server.url, MONGODB_DATABASE=mongo_db_name)
    command = [str(BIN / "tlcrawl"), "reparse", str(warc_dir)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    truth = replica_truth(*SMALL, base_url=server.url)  # rendering changes no document
    db = mongo_client[mongo_db_name]
    for kind, collection in {"thread": "threads", "post": "posts"}.items():
        stored = {doc["_id"]: doc for doc in db[collection].find()}
        assert differences(by_type(truth, kind), stored, ignore=RESOLUTION) == [], kind
