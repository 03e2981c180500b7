"""Start, deploy to, schedule on and follow jobs of a Scrapyd server (with scrapyd-client's
ScrapydClient for its JSON API).

Connection settings come from the environment, never from the command line:
  SCRAPYD_URL         the server, e.g. http://127.0.0.1:6800 (the default)
  SCRAPYD_USERNAME    basic-auth user name
  SCRAPYD_PASSWORD    basic-auth password (never printed)
  TLCRAWL_REPORT_DIR  where the crawls write their reports (as set for Scrapyd; default
                      var/scrapyd/data/reports, the local Scrapyd's)

Scrapyd answers most mistakes with HTTP 200 and `{"status": "error"}`, `scrapyd-deploy` exits 0
after such an answer, and a failed crawl shows up as "finished" in listjobs.json. Every command
here therefore checks the answer itself and exits non-zero unless the server said "ok"; `follow`
and `refresh` read a finished job's result from the report the crawl wrote (its verdict and exit
status, tlcrawl/monitoring/verdict.py), never from its log.

    python deploy/scrapyd_ctl.py start     # local Scrapyd from this virtualenv, in var/scrapyd/
    python deploy/scrapyd_ctl.py stop
    python deploy/scrapyd_ctl.py deploy [--version N]
    python deploy/scrapyd_ctl.py schedule [--unless-busy] threads -d forums=games
    python deploy/scrapyd_ctl.py follow JOBID     # progress lines, then the crawl's exit status
    python deploy/scrapyd_ctl.py refresh [-d forums=games]   # what the systemd timer runs
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zipfile
from pathlib import Path

import requests
from scrapyd_client import ScrapydClient
from scrapyd_client.exceptions import ErrorResponse, MalformedResponse

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "deploy" / "scrapyd.conf"
DEFAULT_URL = "http://127.0.0.1:6800"
PROJECT = "tlcrawl"
# What the egg may contain: our package and the egg metadata, nothing else (no tests, no replica).
EGG_MEMBER = re.compile(r"^(tlcrawl/|EGG-INFO/)")


class CtlError(Exception):
    """A failure to report on stderr, with exit status 1 or the failed crawl's own."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


# --- HTTP (scrapyd-client's ScrapydClient) ----------------------------------------------------


def server_url() -> str:
    return os.environ.get("SCRAPYD_URL", "").strip().rstrip("/") or DEFAULT_URL


def client() -> ScrapydClient:
    return ScrapydClient(
        server_url(),
        username=os.environ.get("SCRAPYD_USERNAME", ""),
        password=os.environ.get("SCRAPYD_PASSWORD", ""),
    )


def api(call, *args):
    """Call a ScrapydClient method; raise CtlError for anything but an "ok" answer.

    Scrapyd answers most mistakes with HTTP 200 and `{"status": "error"}` (ScrapydClient raises
    ErrorResponse), and a refused login with an HTML page (MalformedResponse)."""
    try:
        return call(*args)
    except ErrorResponse as e:
        raise CtlError(f"{server_url()}: Scrapyd answered 'error': {e}") from None
    except MalformedResponse as e:
        hint = " (check SCRAPYD_USERNAME/SCRAPYD_PASSWORD)" if "Unauthorized" in str(e) else ""
        raise CtlError(f"{server_url()}: not a JSON answer{hint}: {str(e)[:200]!r}") from None
    except requests.RequestException as e:
        raise CtlError(f"{server_url()}: cannot connect: {e.__class__.__name__}") from None


def fetch_log(log_url: str, offset: int) -> bytes:
    """The job log from byte `offset` on (Scrapyd serves logs as static files; no client call)."""
    url = f"{server_url()}{log_url}"
    try:
        response = requests.get(
            url, headers={"Range": f"bytes={offset}-"}, auth=client().auth, timeout=60
        )
    except requests.RequestException as e:
        raise CtlError(f"{url}: cannot connect: {e.__class__.__name__}") from None
    if response.status_code == 416:  # nothing new
        return b""
    if response.status_code not in (200, 206):
        raise CtlError(f"{url}: HTTP {response.status_code}")
    return response.content if response.status_code == 206 else response.content[offset:]


# --- start / stop ------------------------------------------------------------------------------


def cmd_start(args: argparse.Namespace) -> None:
    if not (os.environ.get("SCRAPYD_USERNAME") and os.environ.get("SCRAPYD_PASSWORD")):
        raise CtlError(
            "SCRAPYD_USERNAME and SCRAPYD_PASSWORD must be set: without them Scrapyd runs "
            "without authentication"
        )
    run_dir = Path(args.run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    pidfile = run_dir / "scrapyd.pid"
    if _running_pid(pidfile):
        raise CtlError(f"Scrapyd is already running (pid file {pidfile})")
    # Scrapyd reads scrapyd.conf from its working directory; the conf's relative dirs land there.
    shutil.copyfile(CONF, run_dir / "scrapyd.conf")
    port = urllib.parse.urlsplit(server_url()).port or 6800
    env = dict(os.environ, SCRAPYD_HTTP_PORT=str(port), SCRAPYD_BIND_ADDRESS="127.0.0.1")
    # From the project's virtualenv, so that crawls find the project's dependencies.
    scrapyd = Path(sys.executable).with_name("scrapyd")
    log = run_dir / "scrapyd.log"
    command = [str(scrapyd), f"--pidfile={pidfile}", f"--logfile={log}"]
    with open(os.devnull, "wb") as devnull:
        process = subprocess.Popen(
            command,
            cwd=run_dir,
            env=env,
            stdout=devnull,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CtlError(f"Scrapyd exited with status {process.returncode}; see {log}")
        try:
            api(client().daemonstatus)
        except CtlError:
            time.sleep(0.2)
            continue
        print(f"Scrapyd running at {server_url()} (pid {process.pid}, log {log})")
        return
    process.terminate()
    raise CtlError(f"Scrapyd did not answer within {args.timeout} s; see {log}")


def _running_pid(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def cmd_stop(args: argparse.Namespace) -> None:
    pidfile = Path(args.run_dir).resolve() / "scrapyd.pid"
    pid = _running_pid(pidfile)
    if pid is None:
        print("Scrapyd is not running")
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _running_pid(pidfile) == pid:
        time.sleep(0.2)
    if _running_pid(pidfile) == pid:
        raise CtlError(f"Scrapyd (pid {pid}) is still running 30 s after SIGTERM")
    print(f"Scrapyd stopped (pid {pid})")


# --- deploy ------------------------------------------------------------------------------------


def egg_members(egg: Path) -> list[str]:
    with zipfile.ZipFile(egg) as archive:
        return archive.namelist()


def check_egg(egg: Path) -> None:
    members = egg_members(egg)
    strays = [name for name in members if not EGG_MEMBER.match(name)]
    if strays:
        raise CtlError(f"the egg contains files outside tlcrawl/: {', '.join(strays[:10])}")
    if "tlcrawl/settings.py" not in members:
        raise CtlError("the egg lacks tlcrawl/settings.py")


def _scrapyd_deploy(*options: str) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("scrapyd-deploy")), *options]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def cmd_deploy(args: argparse.Namespace) -> None:
    # scrapy.cfg's [deploy] section reads the URL and credentials from these variables.
    os.environ["SCRAPYD_URL"] = server_url()
    version = args.version or str(int(time.time()))
    if not version.isdigit():
        raise CtlError(f"version {version!r}: use an integer (dotted versions sort as text)")
    with tempfile.TemporaryDirectory(prefix="tlcrawl-egg-") as tmp:
        if args.egg:  # one egg built once, deployed to several hosts
            egg = Path(args.egg).resolve()
        else:
            egg = Path(tmp) / f"{PROJECT}-{version}.egg"
            built = _scrapyd_deploy("--build-egg", str(egg))
            if built.returncode != 0 or not egg.exists():
                raise CtlError(f"building the egg failed:\n{built.stdout}{built.stderr}")
        check_egg(egg)
        uploaded = _scrapyd_deploy("--egg", str(egg), "--version", version)
    sys.stderr.write(uploaded.stderr)
    # scrapyd-deploy prints the server's JSON answer on stdout, and exits 0 even on "error".
    try:
        answer = json.loads(uploaded.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        answer = {}
    if uploaded.returncode != 0 or answer.get("status") != "ok":
        detail = answer.get("message") or uploaded.stdout.strip()  # the message holds a traceback
        raise CtlError(f"deploy to {server_url()} failed:\n{detail}{_roll_back(version)}")
    print(
        f"deployed {answer['project']} version {answer['version']} to {server_url()} "
        f"({answer['spiders']} spiders)"
    )


def _roll_back(version: str) -> str:
    """Delete a version the server kept although it rejected it; return a note for the error.

    Scrapyd stores the egg before it tries to load the spiders, and keeps it when that fails: the
    broken version would become the latest, and every later job would run it.
    """
    try:
        if version not in api(client().versions, PROJECT):
            return ""
        api(client().delversion, PROJECT, version)
    except CtlError as e:
        return f"\nWARNING: version {version} stays deployed, delete it by hand: {e}"
    return f"\nRolled back: version {version} deleted from {server_url()}."


# --- schedule / follow / refresh ----------------------------------------------------------------


def spider_arguments(pairs: list[str]) -> list[tuple[str, str]]:
    arguments = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise CtlError(f"-d {pair!r}: expected NAME=VALUE")
        arguments.append((key, value))
    return arguments


def busy_jobs(spider: str) -> list[dict]:
    """The spider's jobs that are pending or running."""
    jobs = api(client().jobs, PROJECT)
    return [job for state in ("running", "pending") for job in jobs.get(state, [])
            if job.get("spider") == spider]  # fmt: skip


def cmd_schedule(args: argparse.Namespace) -> None:
    arguments = spider_arguments(args.data)
    if args.unless_busy and (busy := busy_jobs(args.spider)):
        print(f"not scheduled: job {busy[0]['id']} of {args.spider} is still pending or running")
        return
    print(api(client().schedule, PROJECT, args.spider, arguments))


def find_job(job: str) -> tuple[str, dict | None]:
    """('pending'|'running'|'finished', job entry) or ('missing', None)."""
    answer = api(client().jobs, PROJECT)
    for state in ("finished", "running", "pending"):
        for entry in answer.get(state, []):
            if entry["id"] == job:
                return state, entry
    return "missing", None


def report_dir() -> Path:
    """Where crawls write their reports: TLCRAWL_REPORT_DIR (in the environment Scrapyd and this
    script share), else the default under the local Scrapyd's run directory."""
    configured = os.environ.get("TLCRAWL_REPORT_DIR")
    return Path(configured) if configured else ROOT / "var" / "scrapyd" / "data" / "reports"


def job_report(entry: dict) -> dict:
    """The report the crawl wrote (tlcrawl/monitoring/report.py), or CtlError if it wrote none."""
    path = report_dir() / f"{entry.get('spider', 'threads')}-{entry['id']}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CtlError(
            f"job {entry['id']} ended without a report ({path}): it never started (bad arguments, "
            f"database unreachable) or crashed; see its log at {server_url()}{entry.get('log_url')}"
        ) from None
    except ValueError as error:  # not JSON, or not UTF-8: damaged
        raise CtlError(f"job {entry['id']}: its report {path} is unreadable ({error})") from None


def _show_progress(entry: dict, offset: int) -> int:
    """Print the job log's progress lines written since `offset`; return the new offset."""
    if not entry.get("log_url"):
        return offset
    chunk = fetch_log(entry["log_url"], offset)
    complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written waits for next time
    for line in complete.decode("utf-8", errors="replace").splitlines():
        if "Progress: " in line:
            print(line, flush=True)
    return offset + len(complete)


def follow(job: str, timeout: float, interval: float = 2.0) -> dict:
    """Wait for the job, printing its progress lines; return its report. Raises CtlError unless
    the crawl's own verdict (exit status 0) says it succeeded."""
    deadline = time.monotonic() + timeout
    offset = 0
    while True:
        state, entry = find_job(job)
        if state == "missing":
            raise CtlError(f"job {job} is unknown to {server_url()}")
        if state != "pending":
            offset = _show_progress(entry, offset)
        if state == "finished":
            break
        if time.monotonic() > deadline:
            raise CtlError(f"job {job} still {state} after {timeout} s")
        time.sleep(interval)
    report = job_report(entry)
    summary = f"job {job}: exit status {report['exit_code']}: {report['verdict']}"
    if report["exit_code"] != 0:
        raise CtlError(summary, report["exit_code"])
    print(summary)
    return report


def cmd_follow(args: argparse.Namespace) -> None:
    follow(args.job, args.timeout, args.interval)


def cmd_refresh(args: argparse.Namespace) -> None:
    """For the timer: schedule an incremental crawl unless one is pending or running, and fail
    (after scheduling) when the spider's last finished job failed, so that it gets noticed."""
    busy = busy_jobs(args.spider)
    if busy:
        print(f"not scheduled: job {busy[0]['id']} of {args.spider} is still pending or running")
    else:
        arguments = [("incremental", "1"), *spider_arguments(args.data)]
        print(f"scheduled job {api(client().schedule, PROJECT, args.spider, arguments)}")
    finished = [job for job in api(client().jobs, PROJECT).get("finished", [])
                if job.get("spider") == args.spider]  # fmt: skip
    if finished:
        last = max(finished, key=lambda job: job.get("end_time") or "")
        report = job_report(last)
        if report["exit_code"] != 0:
            raise CtlError(
                f"the last job {last['id']} failed: exit status {report['exit_code']}: "
                f"{report['verdict']}",
                report["exit_code"],
            )


# --- command line ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    start = sub.add_parser("start", help="start a local Scrapyd (loopback, auth from env)")
    start.add_argument("--run-dir", default=str(ROOT / "var" / "scrapyd"))
    start.add_argument("--timeout", type=float, default=30)
    start.set_defaults(func=cmd_start)

    stop = sub.add_parser("stop", help="stop the local Scrapyd started by `start`")
    stop.add_argument("--run-dir", default=str(ROOT / "var" / "scrapyd"))
    stop.set_defaults(func=cmd_stop)

    deploy = sub.add_parser("deploy", help="build the egg, check it, upload it with scrapyd-deploy")
    deploy.add_argument("--version", help="integer egg version (default: Unix time)")
    deploy.add_argument("--egg", help="upload this egg (from `scrapyd-deploy --build-egg`)")
    deploy.set_defaults(func=cmd_deploy)

    schedule = sub.add_parser("schedule", help="schedule a spider; prints the job id")
    schedule.add_argument("spider")
    schedule.add_argument(
        "-d",
        dest="data",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="spider argument, or setting=NAME=VALUE, as with curl -d",
    )
    schedule.add_argument(
        "--unless-busy",
        action="store_true",
        help="do nothing while a job of this spider is pending or running",
    )
    schedule.set_defaults(func=cmd_schedule)

    follow_ = sub.add_parser(
        "follow", help="show a job's progress; exit with its verdict (0: passed its checks)"
    )
    follow_.add_argument("job")
    follow_.add_argument("--timeout", type=float, default=24 * 3600)
    follow_.add_argument("--interval", type=float, default=5)
    follow_.set_defaults(func=cmd_follow)

    refresh = sub.add_parser(
        "refresh",
        help="schedule an incremental crawl unless one is pending/running; fail if the last failed",
    )
    refresh.add_argument("spider", nargs="?", default="threads")
    refresh.add_argument("-d", dest="data", action="append", default=[], metavar="NAME=VALUE")
    refresh.set_defaults(func=cmd_refresh)

    args = parser.parse_args(argv)
    try:
        args.func(args)
    except CtlError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
