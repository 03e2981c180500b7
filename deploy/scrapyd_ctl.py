"""Start, deploy to, schedule on and follow jobs of a Scrapyd server (stdlib only).

Connection settings come from the environment, never from the command line:
  SCRAPYD_URL       the server, e.g. http://127.0.0.1:6800 (the default)
  SCRAPYD_USERNAME  basic-auth user name
  SCRAPYD_PASSWORD  basic-auth password (never printed)

Scrapyd answers most mistakes with HTTP 200 and `{"status": "error"}`, `scrapyd-deploy` exits 0
after such an answer, and a crashed crawl shows up as "finished" in listjobs.json. Every command
here therefore checks the answer itself and exits non-zero unless the server said "ok" (and, for
`follow`, unless the job's own log reports `finish_reason: finished` and no ERROR lines).

    python deploy/scrapyd_ctl.py start     # local Scrapyd from this virtualenv, in var/scrapyd/
    python deploy/scrapyd_ctl.py stop
    python deploy/scrapyd_ctl.py deploy [--version N]
    python deploy/scrapyd_ctl.py schedule threads -d base_url=https://tl.net -d forums=games
    python deploy/scrapyd_ctl.py follow JOBID
"""

from __future__ import annotations

import argparse
import ast
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "deploy" / "scrapyd.conf"
DEFAULT_URL = "http://127.0.0.1:6800"
PROJECT = "tlcrawl"
# What the egg may contain: our package and the egg metadata, nothing else (no tests, no replica).
EGG_MEMBER = re.compile(r"^(tlcrawl/|EGG-INFO/)")


class CtlError(Exception):
    """A failure to report on stderr with exit status 1."""


# --- HTTP --------------------------------------------------------------------------------------


def server_url() -> str:
    return os.environ.get("SCRAPYD_URL", "").strip().rstrip("/") or DEFAULT_URL


def _auth_header() -> dict[str, str]:
    user = os.environ.get("SCRAPYD_USERNAME", "")
    password = os.environ.get("SCRAPYD_PASSWORD", "")
    if not user:
        return {}
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def request(path: str, data: list[tuple[str, str]] | None = None, raw: bool = False):
    """GET (data None) or POST form data to the server; return parsed JSON (or bytes if raw).

    Raises CtlError for connection failures, HTTP errors and JSON answers whose status isn't "ok".
    """
    url = f"{server_url()}/{path.lstrip('/')}"
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers=_auth_header())
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            content = response.read()
    except urllib.error.HTTPError as e:
        hint = " (check SCRAPYD_USERNAME/SCRAPYD_PASSWORD)" if e.code == 401 else ""
        raise CtlError(f"{url}: HTTP {e.code} {e.reason}{hint}") from None
    except (urllib.error.URLError, OSError) as e:
        raise CtlError(f"{url}: cannot connect: {getattr(e, 'reason', e)}") from None
    if raw:
        return content
    try:
        answer = json.loads(content)
    except ValueError:
        raise CtlError(f"{url}: not a JSON answer: {content[:300]!r}") from None
    if answer.get("status") != "ok":
        raise CtlError(f"{url}: Scrapyd answered {answer.get('status')!r}: {answer.get('message')}")
    return answer


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
            request("daemonstatus.json")
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
        versions = request(f"listversions.json?project={PROJECT}")["versions"]
        if version not in versions:
            return ""
        request("delversion.json", [("project", PROJECT), ("version", version)])
    except CtlError as e:
        return f"\nWARNING: version {version} stays deployed, delete it by hand: {e}"
    return f"\nRolled back: version {version} deleted from {server_url()}."


# --- schedule / follow -------------------------------------------------------------------------


def cmd_schedule(args: argparse.Namespace) -> None:
    data = [("project", PROJECT), ("spider", args.spider)]
    for pair in args.data:
        key, sep, value = pair.partition("=")
        if not sep:
            raise CtlError(f"-d {pair!r}: expected NAME=VALUE")
        data.append((key, value))
    answer = request("schedule.json", data)
    print(answer["jobid"])


STATS_START = "Dumping Scrapy stats:"


def job_stats(log_text: str) -> dict | None:
    """The stats Scrapy dumps at the end of a crawl log, or None if the crawl never got there."""
    start = log_text.rfind(STATS_START)
    if start < 0:
        return None
    block = log_text[start + len(STATS_START) :].lstrip()
    end = block.find("}")  # stats values are numbers, strings and datetimes: no nested braces
    if end < 0:
        return None
    # The dump is a pprint of a dict; datetimes print as `datetime.datetime(...)`: drop them.
    text = re.sub(r"datetime\.datetime\([^)]*\)", "None", block[: end + 1])
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None


def find_job(job: str) -> tuple[str, dict | None]:
    """('pending'|'running'|'finished', job entry) or ('missing', None)."""
    answer = request(f"listjobs.json?project={urllib.parse.quote(PROJECT)}")
    for state in ("finished", "running", "pending"):
        for entry in answer.get(state, []):
            if entry["id"] == job:
                return state, entry
    return "missing", None


def follow(job: str, timeout: float, interval: float = 2.0) -> dict:
    """Wait for the job to finish; return its stats. Raises CtlError unless the crawl succeeded."""
    deadline = time.monotonic() + timeout
    while True:
        state, entry = find_job(job)
        if state == "finished":
            break
        if state == "missing":
            raise CtlError(f"job {job} is unknown to {server_url()}")
        if time.monotonic() > deadline:
            raise CtlError(f"job {job} still {state} after {timeout} s")
        time.sleep(interval)
    log_url = entry.get("log_url")
    if not log_url:
        raise CtlError(f"job {job} finished, but Scrapyd keeps no log (logs_dir is empty)")
    # The whole log: Twisted's static files answer 500 to a suffix Range longer than the file.
    log_text = request(log_url, raw=True).decode("utf-8", errors="replace")
    stats = job_stats(log_text)
    if stats is None:
        tail = "\n".join(log_text.splitlines()[-20:])
        raise CtlError(f"job {job} ended without Scrapy stats (crashed?); log tail:\n{tail}")
    errors = stats.get("log_count/ERROR", 0)
    reason = stats.get("finish_reason")
    summary = (
        f"job {job}: finish_reason={reason} items={stats.get('item_scraped_count', 0)} "
        f"errors={errors} log={server_url()}{log_url}"
    )
    if reason != "finished" or errors:
        raise CtlError(summary)
    print(summary)
    return stats


def cmd_follow(args: argparse.Namespace) -> None:
    follow(args.job, args.timeout, args.interval)


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
    schedule.set_defaults(func=cmd_schedule)

    follow_ = sub.add_parser("follow", help="wait for a job; fail unless it finished cleanly")
    follow_.add_argument("job")
    follow_.add_argument("--timeout", type=float, default=24 * 3600)
    follow_.add_argument("--interval", type=float, default=5)
    follow_.set_defaults(func=cmd_follow)

    args = parser.parse_args(argv)
    try:
        args.func(args)
    except CtlError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
