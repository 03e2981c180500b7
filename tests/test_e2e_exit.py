"""`scrapy crawl threads` as a process: bad input ends in one line and a non-zero exit status
before anything is crawled; a crawl that lost data or whose checks failed exits non-zero; a good
crawl (also one that survived faults) exits 0. Each crawl leaves a report (tlcrawl/monitoring)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from tests.crawling import scrapy_args
from tests.servers import ROOT, start_mongo
from tests.support import replica_truth

SMALL = ("--forums", "2", "--threads-per-forum", "3", "--long-pages", "0")
FAST = [*scrapy_args(), "-s", "LOG_LEVEL=INFO"]


def crawl(report_dir: Path, *args: str, mongo: str = "", timeout: float = 240, **env: str):
    """Run `scrapy crawl threads ARGS` from the project directory; return the finished process."""
    command = [sys.executable, "-m", "scrapy", "crawl", "threads", *FAST, *args]
    environment = {
        **os.environ,
        "MONGODB_URI": mongo,
        "TLCRAWL_REPORT_DIR": str(report_dir),
        **env,
    }
    return subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=timeout
    )


def last_line(process) -> str:
    return process.stderr.strip().splitlines()[-1]


def report(report_dir: Path) -> tuple[str, dict]:
    """The only report in the directory: its Markdown text and its JSON data."""
    (markdown,) = report_dir.glob("threads-*.md")
    return markdown.read_text(), json.loads(markdown.with_suffix(".json").read_text())


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("argument", "says"),
    [
        ("thread=622006", "unknown argument -a thread=; did you mean -a thread_url=?"),
        ("max_threads=abc", "-a max_threads= takes a whole number, got 'abc'"),
        ("base_url=notaurl", "-a base_url= takes the site's address"),
        ("thread_url=notathread", "-a thread_url= takes a thread or post address"),
        ("incremental=maybe", "-a incremental= takes 1 or 0"),
        ("render=sometimes", "-a render= takes auto, always, never"),
    ],
)
def test_a_bad_argument_is_refused_before_any_request(replica, tmp_path, argument, says):
    server = replica(*SMALL)
    base = [] if argument.startswith("base_url") else ["-a", f"base_url={server.url}"]
    process = crawl(tmp_path, *base, "-a", argument)
    assert process.returncode == 2, process.stderr
    assert "Traceback" not in process.stderr
    assert last_line(process).startswith(f"tlcrawl: bad argument: {says}")
    assert "Spider opened" not in process.stderr  # nothing was requested
    assert "Task exception was never retrieved" not in process.stderr
    markdown, data = report(tmp_path)  # where Scrapyd's follow reads every job's result
    assert data["exit_code"] == 2 and data["verdict"] == last_line(process).removeprefix(
        "tlcrawl: "
    )
    assert "None ran: the crawl was refused before its first request." in markdown


def test_an_unknown_forum_is_refused_listing_the_forums(replica, tmp_path):
    server = replica(*SMALL)
    process = crawl(tmp_path, "-a", f"base_url={server.url}", "-a", "forums=games,gmaes-x")
    assert process.returncode == 2, process.stderr
    assert "Traceback" not in process.stderr
    line = last_line(process)
    assert line.startswith("tlcrawl: bad argument: -a forums=: no subforum 'gmaes-x'"), line
    forums = sorted(
        {d["_id"] for d in replica_truth(*SMALL, base_url=server.url) if d["type"] == "forum"}
    )
    assert line.endswith(f"the subforums are: {','.join(forums)}"), line
    assert "item_scraped_count" not in process.stderr  # not even the known forum was crawled
    markdown, data = report(tmp_path)
    assert data["exit_code"] == 2
    assert "gmaes-x" in markdown


def test_an_incremental_crawl_without_mongodb_is_refused(replica, tmp_path):
    server = replica(*SMALL)
    process = crawl(tmp_path, "-a", f"base_url={server.url}", "-a", "incremental=1")
    assert process.returncode == 2, process.stderr
    assert "Traceback" not in process.stderr
    assert last_line(process) == (
        "tlcrawl: bad argument: -a incremental=1 compares with the stored crawl: set MONGODB_URI"
    )


def test_jobdir_is_refused_naming_the_supported_way_to_resume(replica, tmp_path):
    server = replica(*SMALL)
    process = crawl(tmp_path, "-a", f"base_url={server.url}", "-s", f"JOBDIR={tmp_path / 'job'}")
    assert process.returncode == 2, process.stderr
    assert "Traceback" not in process.stderr
    assert last_line(process).startswith("tlcrawl: bad argument: -s JOBDIR= is not supported")
    assert "-a incremental=1" in last_line(process)
    assert "Spider opened" not in process.stderr


def test_an_unreachable_database_is_refused_at_start(replica, tmp_path):
    server = replica(*SMALL)
    uri = f"mongodb://archiver:s3cret-pw@127.0.0.1:{closed_port()}/"
    process = crawl(tmp_path, "-a", f"base_url={server.url}", mongo=uri, timeout=60)
    assert process.returncode == 3, process.stderr
    assert "Traceback" not in process.stderr
    assert "s3cret-pw" not in process.stderr
    line = last_line(process)
    assert line.startswith("tlcrawl: MongoDB at mongodb://archiver:****@127.0.0.1:"), line
    assert "Spider opened" not in process.stderr
    _, data = report(tmp_path)
    assert data["exit_code"] == 3 and "s3cret-pw" not in json.dumps(data)


def test_a_good_crawl_exits_0_with_a_report_and_complete_feed_items(replica, tmp_path):
    server = replica(*SMALL)
    # README's recipe: each item type to its own file, with FEEDS and item_classes.
    kinds = {"forum": "ForumItem", "thread": "ThreadItem", "post": "PostItem", "user": "UserItem"}
    feeds = {
        str(tmp_path / f"{kind}s.jsonl"): {
            "format": "jsonlines",
            "item_classes": [f"tlcrawl.items.{cls}"],
        }
        for kind, cls in kinds.items()
    }
    process = crawl(
        tmp_path / "reports", "-a", f"base_url={server.url}", "-s", f"FEEDS={json.dumps(feeds)}"
    )
    assert process.returncode == 0, process.stderr[-3000:]
    markdown, data = report(tmp_path / "reports")
    assert data["exit_code"] == 0
    assert all(check["failure"] is None for check in data["checks"])
    assert "**passed** (exit status 0)" in markdown
    truth = replica_truth(*SMALL, base_url=server.url)
    for kind in kinds:
        lines = (tmp_path / f"{kind}s.jsonl").read_text().splitlines()
        got = {json.loads(line)["_id"] for line in lines}
        assert got == {d["_id"] for d in truth if d["type"] == kind}, kind
        if kind in ("thread", "post"):  # complete without MongoDB: crawled_at is set
            assert all(json.loads(line)["crawled_at"] for line in lines), kind
    posts = sum(1 for d in truth if d["type"] == "post")
    assert data["figures"]["posts yielded"] == posts


def test_faults_survived_exit_0_and_show_in_the_report(replica, tmp_path):
    options = (*SMALL, "--fail-rate", "0.25", "--truncate-rate", "0.25")
    server = replica(*options)
    process = crawl(tmp_path, "-a", f"base_url={server.url}")
    assert process.returncode == 0, process.stderr[-3000:]
    markdown, data = report(tmp_path)
    posts = sum(1 for d in replica_truth(*options, base_url=server.url) if d["type"] == "post")
    assert data["figures"]["posts yielded"] == posts
    assert data["faults"]["retry/count"] > 0
    assert data["faults"]["thread_page/refetched"] > 0
    assert "| retry/count |" in markdown and "| thread_page/refetched |" in markdown


def test_lost_post_markup_fails_the_crawl_as_a_markup_change(replica, tmp_path):
    server = replica(*SMALL, "--markup", "lost")
    process = crawl(tmp_path, "-a", f"base_url={server.url}")
    assert process.returncode == 1, process.stderr[-3000:]
    assert "Traceback" not in process.stderr
    assert "markup" in last_line(process)
    markdown, data = report(tmp_path)
    assert "the site's markup looks changed" in markdown
    (markup,) = [check for check in data["checks"] if check["name"] == "markup"]
    assert markup["failure"].startswith("the site's markup looks changed")


class _Receiver(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_crawl_that_lost_pages_exits_1_and_notifies(replica, tmp_path):
    # Every attempt at some pages fails and nothing is retried: those pages are lost.
    options = (*SMALL, "--fail-rate", "0.2", "--fail-attempts", "9")
    server = replica(*options)
    receiver = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{receiver.server_port}/hook/secret-token"
    try:
        process = crawl(
            tmp_path,
            "-a", f"base_url={server.url}",
            "-s", "RETRY_TIMES=0",
            TLCRAWL_NOTIFY_WEBHOOK=hook,
        )  # fmt: skip
    finally:
        receiver.shutdown()
    assert process.returncode == 1, process.stderr[-3000:]
    assert "Traceback" not in process.stderr
    assert "secret-token" not in process.stderr
    assert last_line(process).startswith("tlcrawl: the crawl failed its checks: ")
    assert re.search(r"\(lost: \d+ posts, \d+ thread pages", last_line(process)), last_line(process)
    (message,) = _Receiver.received
    assert message["exit_code"] == 1
    assert "the crawl failed its checks" in message["text"]
    _, data = report(tmp_path)
    assert message["report"].endswith(".md")
    assert {check["name"] for check in data["checks"] if check["failure"]} >= {"errors"}


def test_a_crawl_into_mongodb_keeps_its_summary_for_the_next(
    replica, tmp_path, mongo_server, mongo_client, mongo_db_name
):
    server = replica(*SMALL)
    arguments = ("-a", f"base_url={server.url}", "-s", f"MONGODB_DATABASE={mongo_db_name}")
    for _ in range(2):
        process = crawl(tmp_path, *arguments, mongo=mongo_server.url)
        assert process.returncode == 0, process.stderr[-3000:]
    summaries = list(mongo_client[mongo_db_name].crawls.find(sort=[("finished_at", 1)]))
    assert [s["exit_code"] for s in summaries] == [0, 0]
    assert summaries[0]["scope"] == summaries[1]["scope"] == f"threads base_url={server.url}"
    share = summaries[0]["quotes_resolved_share"]
    assert share is not None and share > 0.5  # the replica quotes plenty of posts
    assert summaries[1]["previous_quotes_share"] == share
    assert not (tmp_path / "crawls.jsonl").exists()  # with MongoDB, the history lives there


def test_documents_dead_lettered_when_mongodb_goes_away_exit_3(replica, tmp_path):
    # A database that answers at start and is gone a moment later.
    mongo = start_mongo(":memory:", tmp_path / "mongo.log")
    server = replica(*SMALL, "--slow-rate", "1", "--slow-seconds", "1")
    command = [sys.executable, "-m", "scrapy", "crawl", "threads", *FAST]
    command += ["-a", f"base_url={server.url}", "-s", "MONGODB_RETRY_SECONDS=1"]
    command += ["-s", f"MONGODB_DEAD_LETTER_PATH={tmp_path}/dead-{{timestamp}}.jsonl"]
    env = {
        **os.environ,
        "MONGODB_URI": mongo.url + "?serverSelectionTimeoutMS=1000",
        "TLCRAWL_REPORT_DIR": str(tmp_path / "reports"),
    }
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    log = []
    try:
        for line in process.stderr:
            log.append(line)
            if "Spider opened" in line:  # pages take a second each: nothing was written yet
                mongo.process.kill()  # at once: on SIGTERM it may serve on for seconds under load
                mongo.process.wait()
        process.wait(timeout=120)
    finally:
        mongo.stop()
        if process.poll() is None:
            process.kill()
    stderr = "".join(log)
    assert process.returncode == 3, stderr[-3000:]
    assert "Traceback" not in stderr
    assert last_line_of(stderr).startswith("tlcrawl: ")
    assert "documents could not be written to MongoDB and went to the dead-letter file" in stderr
    _, data = report(tmp_path / "reports")
    assert data["exit_code"] == 3
    assert data["figures"]["documents dead-lettered"] > 0
    (dead_letters,) = tmp_path.glob("dead-*.jsonl")  # nothing lost: there to replay
    assert len(dead_letters.read_text().splitlines()) == data["figures"]["documents dead-lettered"]


def last_line_of(text: str) -> str:
    return text.strip().splitlines()[-1]
