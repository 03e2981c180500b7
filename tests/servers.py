"""Start and stop the real servers that tests, the demo and benchmarks use.

Each server runs as a child process on 127.0.0.1 with a free port (port 0), and the helpers read
the chosen port from the server's own start-up line, so parallel runs never collide.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MONGO_PYTHON_ENV = ROOT / ".venv-mongo"
SECANTUSD = MONGO_PYTHON_ENV / "bin" / "secantusd-py"


@dataclass
class RunningServer:
    process: subprocess.Popen
    url: str
    log_path: Path

    def stop(self) -> None:
        stop_process(self.process)


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


def _wait_for_line(log_path: Path, pattern: re.Pattern, process: subprocess.Popen, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = pattern.search(log_path.read_text(errors="replace"))
        if match:
            return match
        if process.poll() is not None:
            break
        time.sleep(0.05)
    stop_process(process)
    raise RuntimeError(
        f"server did not start; its log ({log_path}):\n{log_path.read_text()[-3000:]}"
    )


def _spawn(args: list[str], log_path: Path, pattern: str, timeout: float) -> tuple:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
        )
    match = _wait_for_line(log_path, re.compile(pattern), process, timeout)
    return process, match


def start_mongo(
    storage_path: str | Path, log_path: Path, port: int = 0, *options: str
) -> RunningServer:
    """Start the MongoDB wire-protocol server (secantusdb) from its own virtualenv."""
    if not SECANTUSD.exists():
        raise RuntimeError(f"{SECANTUSD} is missing: run `make mongo-env` first")
    args = [str(SECANTUSD), "--host", "127.0.0.1", "--port", str(port), *options]
    args += ["--storage-path", str(storage_path), "--log-level", "INFO"]
    process, match = _spawn(args, log_path, r"listening on 127\.0\.0\.1:(\d+)", timeout=60)
    url = f"mongodb://127.0.0.1:{match.group(1)}/"
    return RunningServer(process, url, log_path)


def start_replica(log_path: Path, *options: str, port: int = 0) -> RunningServer:
    """Start the replica forum (`python -m tests.fakeforum serve`) and return its base URL."""
    args = [sys.executable, "-m", "tests.fakeforum", "serve", "--port", str(port), *options]
    process, match = _spawn(args, log_path, r"(http://127\.0\.0\.1:\d+)", timeout=60)
    return RunningServer(process, match.group(1), log_path)


@contextlib.contextmanager
def running(server: RunningServer) -> Iterator[RunningServer]:
    try:
        yield server
    finally:
        server.stop()


def scrapy_env(**extra: str) -> dict[str, str]:
    """Environment for a `scrapy` child process run from the project root."""
    env = dict(os.environ)
    env.update(extra)
    return env
