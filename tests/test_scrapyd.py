"""Scrapyd end to end, as users deploy: a real Scrapyd with authentication, `scrapyd-deploy`, a
scheduled `threads` crawl of the replica into MongoDB, and the checks of deploy/scrapyd_ctl.py.

Scrapyd is started the way `make scrapyd-start` does it (deploy/scrapyd_ctl.py start, with the
committed deploy/scrapyd.conf) in its own temporary run directory, on a free port. One setting is
the tests' own: Scrapyd starts queued jobs every 0.2 s instead of every 5 s (a ~/.scrapyd.conf in
the test's HOME), and `follow` polls as often (POLL), so that no test waits seconds per job.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from tests.crawling import scrapy_args
from tests.servers import ROOT
from tests.support import replica_truth
from tlcrawl.monitoring.report import write_report

CTL = ROOT / "deploy" / "scrapyd_ctl.py"
SCRAPYD_DEPLOY = Path(sys.executable).with_name("scrapyd-deploy")
REPLICA = ("--forums", "1", "--threads-per-forum", "3")
FORUM = "games"
POLL_SECONDS = "0.2"  # how often the test's Scrapyd starts queued jobs (see the docstring)
POLL = ("--interval", POLL_SECONDS)  # and how often `follow` looks at a job


@dataclass
class Scrapyd:
    url: str
    env: dict[str, str]  # SCRAPYD_URL, SCRAPYD_USERNAME, SCRAPYD_PASSWORD and the rest
    run_dir: Path

    def get(self, path: str, auth: tuple[str, str] | None = None) -> dict:
        username, password = auth or (self.env["SCRAPYD_USERNAME"], self.env["SCRAPYD_PASSWORD"])
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        request = urllib.request.Request(
            f"{self.url}/{path}", headers={"Authorization": f"Basic {token}"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def ctl(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        command = [sys.executable, str(CTL), *args]
        return subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory) -> Iterator[Scrapyd]:
    run_dir = tmp_path_factory.mktemp("scrapyd")
    url = f"http://127.0.0.1:{_free_port()}"
    env = dict(os.environ)
    env.update(
        SCRAPYD_URL=url,
        SCRAPYD_USERNAME="tlcrawl-test",
        SCRAPYD_PASSWORD=secrets.token_urlsafe(16),
        HOME=str(run_dir),  # no ~/.scrapyd.conf or ~/.netrc of the person running the tests
        # Crawls (Scrapyd's children) write their reports here; follow and refresh read them.
        TLCRAWL_REPORT_DIR=str(run_dir / "reports"),
    )
    # Scrapyd reads ~/.scrapyd.conf after the committed scrapyd.conf that `start` copies.
    (run_dir / ".scrapyd.conf").write_text(f"[scrapyd]\npoll_interval = {POLL_SECONDS}\n")
    server = Scrapyd(url, env, run_dir)
    started = server.ctl("start", "--run-dir", str(run_dir), "--timeout", "60")
    assert started.returncode == 0, started.stderr
    try:
        yield server
    finally:
        server.ctl("stop", "--run-dir", str(run_dir))
        pidfile = run_dir / "scrapyd.pid"  # never leave it running: kill what is still alive
        if pidfile.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pidfile.read_text()), signal.SIGKILL)


@pytest.fixture(scope="module")
def deployed(scrapyd) -> str:
    """Deploy the project with scrapyd-deploy, exactly as a user would; return the version."""
    version = "1000"
    result = subprocess.run(
        [str(SCRAPYD_DEPLOY), "--version", version],
        cwd=ROOT,
        env=scrapyd.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])  # exit 0 proves nothing: read it
    assert answer["status"] == "ok", answer.get("message")
    assert answer["project"] == "tlcrawl"
    assert answer["version"] == version
    return version


def test_requests_without_valid_credentials_are_refused(scrapyd):
    for headers in ({}, {"Authorization": "Basic " + base64.b64encode(b"tlcrawl-test:x").decode()}):
        request = urllib.request.Request(f"{scrapyd.url}/daemonstatus.json", headers=headers)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 401
    assert scrapyd.get("daemonstatus.json")["status"] == "ok"


def test_start_refuses_to_run_without_credentials(scrapyd, tmp_path):
    env = {k: v for k, v in scrapyd.env.items() if k != "SCRAPYD_PASSWORD"}
    result = subprocess.run(
        [sys.executable, str(CTL), "start", "--run-dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "without authentication" in result.stderr
    assert not (tmp_path / "scrapyd.pid").exists()


def test_the_egg_holds_the_package_and_no_test_code(tmp_path):
    egg = tmp_path / "tlcrawl.egg"
    result = subprocess.run(
        [str(SCRAPYD_DEPLOY), "--build-egg", str(egg)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(egg) as archive:
        members = archive.namelist()
        entry_points = archive.read("EGG-INFO/entry_points.txt").decode()
    assert [m for m in members if not m.startswith(("tlcrawl/", "EGG-INFO/"))] == []
    assert "tlcrawl/settings.py" in members
    assert "tlcrawl/spiders/threads.py" in members
    assert "[scrapy]\nsettings = tlcrawl.settings" in entry_points


def test_the_deployed_project_lists_the_threads_spider(scrapyd, deployed):
    assert deployed in scrapyd.get("listversions.json?project=tlcrawl")["versions"]
    assert "threads" in scrapyd.get("listspiders.json?project=tlcrawl")["spiders"]


def test_a_rejected_deploy_fails_loudly_and_is_rolled_back(scrapyd, deployed, tmp_path):
    # An egg whose settings module cannot be imported: Scrapyd stores it, then answers "error"
    # with HTTP 200 (scrapyd-deploy exits 0); the ctl script must fail and delete that version.
    good = tmp_path / "good.egg"
    built = subprocess.run(
        [str(SCRAPYD_DEPLOY), "--build-egg", str(good)], cwd=ROOT, capture_output=True, check=False
    )
    assert built.returncode == 0
    broken = tmp_path / "broken.egg"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "tlcrawl/settings.py":
                data = b"raise ImportError('broken on purpose')\n"
            target.writestr(item, data)

    result = scrapyd.ctl("deploy", "--egg", str(broken), "--version", "1001")
    assert result.returncode == 1
    assert "broken on purpose" in result.stderr
    assert "Rolled back" in result.stderr
    assert scrapyd.get("listversions.json?project=tlcrawl")["versions"] == [deployed]

    dotted = scrapyd.ctl("deploy", "--egg", str(good), "--version", "1.2")
    assert dotted.returncode == 1
    assert "use an integer" in dotted.stderr


def test_a_scheduled_crawl_stores_the_replica_forum_in_mongodb(
    scrapyd, deployed, replica, mongo_server, mongo_client, mongo_db_name
):
    server = replica(*REPLICA)
    scheduled = scrapyd.ctl(
        "schedule",
        "threads",
        "-d", f"base_url={server.url}",
        "-d", f"forums={FORUM}",
        "-d", f"setting=MONGODB_URI={mongo_server.url}",
        "-d", f"setting=MONGODB_DATABASE={mongo_db_name}",
        *scrapy_args("-d", "setting="),
    )  # fmt: skip
    assert scheduled.returncode == 0, scheduled.stderr
    job = scheduled.stdout.strip()

    # follow: waits for the job; exits with the crawl's own verdict, read from its report.
    followed = scrapyd.ctl("follow", job, *POLL, "--timeout", "300", timeout=330)
    assert followed.returncode == 0, followed.stderr
    assert f"job {job}: exit status 0: the crawl finished and passed its checks" in followed.stdout
    report = json.loads((scrapyd.run_dir / "reports" / f"threads-{job}.json").read_text())
    assert report["job"] == job and report["exit_code"] == 0
    log = (scrapyd.run_dir / "logs" / "tlcrawl" / "threads" / f"{job}.log").read_text()
    assert "'finish_reason': 'finished'" in log
    assert "log_count/ERROR" not in log
    items = scrapyd.run_dir / "items" / "tlcrawl" / "threads" / f"{job}.jl"
    assert items.exists() and items.stat().st_size > 0

    truth = replica_truth(*REPLICA, base_url=server.url)
    want = {d["_id"]: d for d in truth if d["type"] == "post" and d["forum"] == FORUM}
    assert want, "the replica serves no posts in the forum"
    db = mongo_client[mongo_db_name]
    got = {d["_id"]: d for d in db.posts.find({"forum": FORUM})}
    assert sorted(got) == sorted(want)
    for post_id, post in want.items():
        stored = got[post_id]
        assert stored["author"] == post["author"], post_id
        assert stored["thread_id"] == post["thread_id"], post_id
        assert stored["posted_at"] == datetime.fromisoformat(post["posted_at"]), post_id
    threads = {d["_id"] for d in truth if d["type"] == "thread" and d["forum"] == FORUM}
    assert {d["_id"] for d in db.threads.find()} == threads


def test_a_failed_crawl_looks_finished_but_follow_fails(scrapyd, deployed):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    scheduled = scrapyd.ctl(
        "schedule", "threads",
        "-d", f"base_url={closed}",
        "-d", "setting=RETRY_TIMES=0",
        "-d", "setting=MONGODB_URI=",
        *scrapy_args("-d", "setting="),
    )  # fmt: skip
    assert scheduled.returncode == 0, scheduled.stderr
    job = scheduled.stdout.strip()
    followed = scrapyd.ctl("follow", job, *POLL, "--timeout", "120", timeout=150)
    assert followed.returncode == 1
    assert f"job {job}: exit status 1: the crawl failed its checks: collected, errors" in (
        followed.stderr
    )
    finished = scrapyd.get("listjobs.json?project=tlcrawl")["finished"]
    assert job in [entry["id"] for entry in finished]  # Scrapyd itself reports no failure


def _wait_until_finished(scrapyd, job: str) -> None:
    followed = scrapyd.ctl("follow", job, *POLL, "--timeout", "200", timeout=230)
    assert "still" not in followed.stderr, followed.stderr


def test_follow_shows_progress_and_fails_with_the_crawls_exit_status(scrapyd, deployed, replica):
    server = replica(*REPLICA, "--slow-rate", "0.5", "--slow-seconds", "0.5")
    job = scrapyd.ctl(
        "schedule", "threads",
        "-d", f"base_url={server.url}",
        "-d", f"forums={FORUM},nosuchforum",  # refused once the forum list is read: exit 2
        "-d", "setting=MONGODB_URI=",
        *scrapy_args("-d", "setting="),
    ).stdout.strip()  # fmt: skip
    followed = scrapyd.ctl("follow", job, *POLL, "--timeout", "200", timeout=230)
    assert followed.returncode == 2, followed.stderr
    assert "exit status 2: bad argument: -a forums=: no subforum 'nosuchforum'" in followed.stderr
    # Refused before the first request: the crawl still leaves its verdict where follow reads it.
    typo = scrapyd.ctl("schedule", "threads", "-d", "thread=622006").stdout.strip()
    followed = scrapyd.ctl("follow", typo, *POLL, "--timeout", "200", timeout=230)
    assert followed.returncode == 2, followed.stderr
    assert "bad argument: unknown argument -a thread=; did you mean -a thread_url=?" in (
        followed.stderr
    )

    slow = scrapyd.ctl(
        "schedule", "threads",
        "-d", f"base_url={server.url}",
        "-d", "setting=MONGODB_URI=",
        "-d", "setting=CONCURRENT_REQUESTS=1",
        "-d", "setting=TLCRAWL_PROGRESS_INTERVAL=0.5",
    ).stdout.strip()  # fmt: skip
    followed = scrapyd.ctl("follow", slow, *POLL, "--timeout", "200", timeout=230)
    assert followed.returncode == 0, followed.stderr
    progress = [line for line in followed.stdout.splitlines() if "Progress: threads " in line]
    assert progress, followed.stdout
    assert f"job {slow}: exit status 0: the crawl finished and passed its checks" in followed.stdout


def test_refresh_never_stacks_jobs_and_notices_a_failed_one(
    scrapyd, deployed, replica, mongo_server, mongo_db_name
):
    server = replica(*REPLICA, "--slow-rate", "0.5", "--slow-seconds", "0.5")
    refresh = [
        "refresh",
        "-d", f"base_url={server.url}",
        "-d", f"setting=MONGODB_URI={mongo_server.url}",
        "-d", f"setting=MONGODB_DATABASE={mongo_db_name}",
        "-d", "setting=CONCURRENT_REQUESTS=1",  # with the slow replica: lasts a few seconds
        *scrapy_args("-d", "setting="),
    ]  # fmt: skip
    # A failed job first: the refresh schedules anyway, and fails so that the unit shows it.
    failed = scrapyd.ctl("schedule", "threads", "-d", "forums=nosuchforum",
                         "-d", f"base_url={server.url}", "-d", "setting=MONGODB_URI=",
                         *scrapy_args("-d", "setting="))  # fmt: skip
    _wait_until_finished(scrapyd, failed.stdout.strip())
    first = scrapyd.ctl(*refresh)
    assert first.returncode == 2, first.stderr
    assert first.stdout.startswith("scheduled job ")
    assert f"the last job {failed.stdout.strip()} failed: exit status 2" in first.stderr
    job = first.stdout.split()[-1]
    # While that crawl is pending or running, another refresh schedules nothing.
    second = scrapyd.ctl(*refresh)
    assert second.stdout.startswith(f"not scheduled: job {job} of threads is still pending")
    jobs = scrapyd.get("listjobs.json?project=tlcrawl")
    assert [e["id"] for e in jobs["pending"] + jobs["running"]] == [job]
    _wait_until_finished(scrapyd, job)
    report = json.loads((scrapyd.run_dir / "reports" / f"threads-{job}.json").read_text())
    assert report["exit_code"] == 0, report["verdict"]
    # The last job passed: the next refresh succeeds, and refreshes: nothing changed on the
    # replica, so every thread is skipped as unchanged.
    third = scrapyd.ctl(*refresh)
    assert third.returncode == 0, third.stderr
    again = third.stdout.split()[-1]
    _wait_until_finished(scrapyd, again)
    report = json.loads((scrapyd.run_dir / "reports" / f"threads-{again}.json").read_text())
    assert report["exit_code"] == 0, report["verdict"]
    assert report["stats"]["threads/unchanged_skipped"] == 3  # the replica's 3 threads
    assert report["stats"].get("posts/yielded", 0) == 0


def test_a_damaged_report_is_one_line_of_error_not_a_traceback(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("scrapyd_ctl", CTL)
    ctl = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ctl)
    monkeypatch.setenv("TLCRAWL_REPORT_DIR", str(tmp_path))
    (tmp_path / "threads-job1.json").write_text('{"job": "job1", "exit_co')  # a disk filled up
    with pytest.raises(ctl.CtlError, match=r"^job job1: its report .* is unreadable \("):
        ctl.job_report({"id": "job1", "spider": "threads"})


def test_a_report_write_that_fails_midway_leaves_the_previous_report_whole(tmp_path, monkeypatch):
    markdown, data = tmp_path / "threads-job1.md", tmp_path / "threads-job1.json"
    summary = {
        "spider": "threads", "job": "job1", "scope": "threads", "started_at": "2026-11-30",
        "finished_at": "2026-11-30", "elapsed_seconds": 1.0, "finish_reason": "finished",
        "verdict": "v", "checks": [], "figures": {}, "faults": {}, "stats": {}, "exit_code": 0,
    }  # fmt: skip
    write_report(summary, markdown, data)

    write_text = Path.write_text

    def disk_full(path, text, encoding=None):  # when the JSON report is written
        if ".json" not in path.name:
            return write_text(path, text, encoding=encoding)
        with open(path, "w", encoding=encoding) as out:
            out.write(text[: len(text) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", disk_full)
    with pytest.raises(OSError):
        write_report({**summary, "exit_code": 1}, markdown, data)
    monkeypatch.undo()
    assert json.loads(data.read_text())["exit_code"] == 0  # `follow` still reads a whole report
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([markdown.name, data.name])
