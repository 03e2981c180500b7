"""kill -9 at three points of a crawl, each followed by the resume command: the archive ends
equal to a clean crawl's, at a clean crawl's requests plus a few pages for each kill, and its WARC
files rebuild it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.process_crawls import kill_when, requests_made, start_crawl, thread_pages_fetched
from tests.servers import ROOT, scrapy_env
from tests.support import replica_truth, warc_record_ids
from tests.truth import by_type

# A hundred threads, the 105-page thread among them (390 thread pages).
FORUM = ("--forums", "2", "--threads-per-forum", "50")
# Crawl times and crawl state: the only fields two correct crawls may disagree on.
CRAWL_FIELDS = {
    "crawled_at",
    "synced_at",
    "source",
}  # source: the WARC record (a new one each crawl)
# Ctrl-C: one graceful stop a quarter of the way in, then the resume. A smaller forum shows it as
# well (40 threads, the 105-page thread among them; 204 thread pages) at a third of the cost.
CTRL_C_FORUM = ("--forums", "2", "--threads-per-forum", "20")
KILL_AT = (0.15, 0.45, 0.75)  # of the posts stored
# Thread pages a kill may cost on top of a clean crawl's. The test asserts exactly which pages a
# resume may fetch again (none the archive held, but each half-stored thread's checkpoint page);
# this bounds how many the kill lost: what the threads in progress (TLCRAWL_THREADS_IN_FLIGHT, 8)
# had fetched but not yet stored, the scraper's 250 kB and the writer's unflushed batches, which
# does not grow with the forum. Measured: 0-35 a kill, 50-64 for the three (the 105-page thread
# runs furthest past its checkpoint); 40 a kill leaves room for a loaded machine's slower writes.
REFETCH_PER_KILL = 40


def _archive(db) -> dict[str, dict]:
    return {
        name: {
            doc["_id"]: {k: v for k, v in doc.items() if k not in CRAWL_FIELDS}
            for doc in db[name].find()
        }
        for name in ("forums", "threads", "posts", "users")
    }


def _differences(got: dict, want: dict, limit: int = 10) -> list[str]:
    found = []
    for name in want:
        for _id in sorted(set(want[name]) | set(got[name]), key=str):
            a, b = got[name].get(_id), want[name].get(_id)
            if a != b:
                fields = sorted(
                    k for k in set(a or {}) | set(b or {}) if (a or {}).get(k) != (b or {}).get(k)
                )
                found.append(f"{name} {_id}: {fields if a and b else 'missing' if b else 'extra'}")
    return found[:limit]


def _stored_pages(db) -> dict[int, int | None]:
    """Per stored thread: None when it is complete, else its checkpoint (pages 1..N stored)."""
    return {
        doc["_id"]: None if doc.get("complete") else doc.get("pages_stored") or 0
        for doc in db.threads.find({}, {"complete": 1, "pages_stored": 1})
    }


def _fetched_again(stored: dict[int, int | None], fetched: list[tuple[int, int]]) -> list:
    """The fetched (thread, page)s the archive held whole: a complete thread's, or a page below
    a thread's checkpoint."""
    return [
        (thread, page)
        for thread, page in fetched
        if thread in stored and (stored[thread] is None or page < stored[thread])
    ]


def _run(log, settings, **args) -> None:
    process = start_crawl(log, settings, **args)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr.decode()[-2000:]


def test_kill_9_three_times_then_resume_gives_the_clean_crawls_archive(
    replica, mongo_server, mongo_client, tmp_path
):
    server = replica(*FORUM)
    total_posts = len(by_type(replica_truth(*FORUM, base_url=server.url), "post"))
    # The project's politeness concurrency; flushes as often as the replica's speed asks (it
    # serves pages ~10x faster than tl.net would at that concurrency).
    base = {
        "MONGODB_URI": mongo_server.url,
        "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
        "MONGODB_FLUSH_SECONDS": "0.1",
    }
    clean_db, resumed_db = f"clean_{tmp_path.name}"[:60], f"resumed_{tmp_path.name}"[:60]

    _run(tmp_path / "clean.log", {**base, "MONGODB_DATABASE": clean_db}, base_url=server.url)
    clean = requests_made(tmp_path / "clean.log")

    warc = tmp_path / "warc"  # the killed and resumed runs' raw pages, to rebuild from
    settings = {**base, "MONGODB_DATABASE": resumed_db, "TLCRAWL_WARC_DIR": str(warc)}
    resumed = mongo_client[resumed_db]
    logs, stored_at_kill = [], []
    for run, share in enumerate(KILL_AT):
        logs.append(tmp_path / f"killed-{run}.log")
        args = (
            {"base_url": server.url} if run == 0 else {"base_url": server.url, "incremental": "1"}
        )
        process = start_crawl(logs[-1], settings, **args)
        killed = kill_when(
            process, lambda s=share: resumed.posts.estimated_document_count() >= s * total_posts
        )
        assert killed, f"run {run} ended before the kill point"
        stored_at_kill.append(_stored_pages(resumed))
    logs.append(tmp_path / "resumed.log")
    _run(logs[-1], settings, base_url=server.url, incremental="1")

    assert _differences(_archive(resumed), _archive(mongo_client[clean_db])) == []
    assert resumed.posts.count_documents({}) == total_posts
    # Each resume fetches only what the kill lost: never a page the archive already held, but
    # for the one page a half-stored thread is re-read from (its last stored page).
    for stored, log in zip(stored_at_kill, logs[1:], strict=True):
        assert _fetched_again(stored, thread_pages_fetched(log)) == [], log.name
    # Every page a document names is in the WARC files, though the crawls were killed, and the
    # archive is rebuilt from those raw pages alone (files cut short by the kills included).
    named = {doc["source"]["warc_record_id"] for doc in resumed.posts.find({}, {"source": 1})}
    assert named and named <= warc_record_ids(warc)
    rebuilt_db = f"rebuilt_{tmp_path.name}"[:60]
    rebuilt = subprocess.run(
        [str(Path(sys.executable).parent / "tlcrawl"), "reparse", str(warc)],
        env=scrapy_env(MONGODB_URI=mongo_server.url, MONGODB_DATABASE=rebuilt_db),
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    print(rebuilt.stdout.strip().splitlines()[-2])  # pages missing, files cut short
    assert _differences(_archive(mongo_client[rebuilt_db]), _archive(resumed)) == []
    runs = [requests_made(log) for log in logs]
    thread_pages = sum(run["thread_pages"] for run in runs)
    print(f"clean crawl: {dict(clean)}; killed and resumed runs: {[dict(r) for r in runs]}")
    assert thread_pages <= clean["thread_pages"] + REFETCH_PER_KILL * len(KILL_AT)
    for name in (clean_db, resumed_db, rebuilt_db):
        mongo_client.drop_database(name)


def test_ctrl_c_exits_1_saying_what_is_left_and_the_resume_completes_the_archive(
    replica, mongo_server, mongo_client, tmp_path
):
    server = replica(*CTRL_C_FORUM)
    truth_posts = by_type(replica_truth(*CTRL_C_FORUM, base_url=server.url), "post")
    database = f"ctrlc_{tmp_path.name}"[:60]
    settings = {
        "MONGODB_URI": mongo_server.url,
        "MONGODB_DATABASE": database,
        "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
    }
    process = start_crawl(tmp_path / "interrupted.log", settings, base_url=server.url)
    posts = mongo_client[database].posts
    deadline = time.monotonic() + 120
    while posts.estimated_document_count() < len(truth_posts) // 4:
        assert process.poll() is None and time.monotonic() < deadline, "ended before Ctrl-C"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C in a terminal: once, a graceful stop
    _, stderr = process.communicate(timeout=120)
    last = stderr.decode().strip().splitlines()[-1]
    assert process.returncode == 1, last
    assert last.startswith("tlcrawl: the crawl failed its checks: finish_reason"), last
    assert "-a incremental=1" in last
    assert "Traceback" not in stderr.decode()

    _run(tmp_path / "resumed.log", settings, base_url=server.url, incremental="1")
    assert {doc["_id"] for doc in posts.find({}, {"_id": 1})} == set(truth_posts)
    assert mongo_client[database].threads.count_documents({"complete": False}) == 0
    mongo_client.drop_database(database)
