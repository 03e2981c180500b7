"""A small asyncio HTTP/1.1 server for the replica, with deterministic faults.

Faults are decided by `stable_fraction(seed, fault, target)` (target = path with query), so a
chosen page fails the same way on every run. Failures hit the first `fail_attempts` attempts at a
target and truncation its first attempt only, so a retry succeeds; a request refused with 429 (the
rate limit) is not an attempt.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass

from tests.fakeforum.js_modes import JsModes
from tests.fakeforum.model import stable_fraction
from tests.fakeforum.replica import HTML, Replica, Response

REASONS = {200: "OK", 302: "Found", 404: "Not Found", 429: "Too Many Requests", 500:
           "Internal Server Error", 503: "Service Unavailable"}  # fmt: skip


@dataclass
class Faults:
    fail_rate: float = 0.0
    fail_attempts: int = 1
    slow_rate: float = 0.0
    slow_seconds: float = 2.0
    truncate_rate: float = 0.0
    rate_limit: int = 0  # requests per second; 0: unlimited


class ReplicaServer:
    def __init__(self, replica: Replica, faults: Faults | None = None, js: JsModes | None = None):
        self.replica, self.faults, self.js = replica, faults or Faults(), js or JsModes()
        self.attempts: Counter[str] = Counter()
        self.requests = 0
        self._second, self._in_second = 0, 0

    def _chosen(self, fault: str, target: str, rate: float) -> bool:
        return rate > 0 and stable_fraction(self.replica.seed, fault, target) < rate

    async def respond(self, target: str, cookie: str | None = None) -> Response:
        """The response for one request: JavaScript challenge, faults, then the page."""
        if reply := self.js.challenge(target, cookie):
            return reply.status, dict(reply.headers), reply.body
        status, headers, body = await self._respond(target)
        return status, headers, self.js.transform(target, headers.get("Content-Type", ""), body)

    async def _respond(self, target: str) -> Response:
        self.requests += 1
        if self._over_rate_limit():  # refused before it counts as one of the page's attempts
            return (
                429,
                {"Retry-After": "1", "Content-Type": HTML},
                b"<h1>429 Too Many Requests</h1>",
            )
        self.attempts[target] += 1
        faults, attempt = self.faults, self.attempts[target]
        status, headers, body = self.replica.render(target)
        if status != 200 or not is_page(target):
            return status, headers, body
        if self._chosen("slow", target, faults.slow_rate):
            await asyncio.sleep(faults.slow_seconds)
        if attempt <= faults.fail_attempts and self._chosen("fail", target, faults.fail_rate):
            code = 503 if stable_fraction(self.replica.seed, "code", target) < 0.5 else 500
            return code, {"Content-Type": HTML}, f"<h1>{code} {REASONS[code]}</h1>".encode()
        truncating = attempt == 1 and self._chosen("truncate", target, faults.truncate_rate)
        if truncating and is_thread(target):
            body = truncate(body)
        return status, headers, body

    def _over_rate_limit(self) -> bool:
        if not self.faults.rate_limit:
            return False
        second = int(time.monotonic())
        if second != self._second:
            self._second, self._in_second = second, 0
        self._in_second += 1
        return self._in_second > self.faults.rate_limit

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while request := await read_request(reader):
                method, target, headers, keep_alive = request
                status, headers, body = await self.respond(target, headers.get("cookie"))
                writer.write(encode_response(status, headers, body, method, keep_alive))
                await writer.drain()
                if not keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()


def is_page(target: str) -> bool:
    """Thread pages, subforum indexes and the forum list: the pages faults apply to."""
    path = target.split("?", 1)[0]
    return path.startswith("/forum/") and not path.endswith(".php")


def is_thread(target: str) -> bool:
    path = target.split("?", 1)[0]
    return path.startswith("/forum/") and not path.endswith("/") and not path.endswith(".php")


def truncate(body: bytes) -> bytes:
    """Cut the page in the middle of its middle post's body (as a dropped connection would)."""
    starts = [i for i in _find_all(body, b'class="forumPost"')]
    if not starts:
        return body[: len(body) // 2]
    start = starts[len(starts) // 2]
    end = body.find(b"</article>", start)
    return body[: (start + end) // 2]


def _find_all(data: bytes, needle: bytes):
    i = data.find(needle)
    while i >= 0:
        yield i
        i = data.find(needle, i + 1)


async def read_request(reader: asyncio.StreamReader) -> tuple[str, str, dict, bool] | None:
    line = await reader.readline()
    if not line.strip():
        return None
    method, target, version = line.decode("latin-1").split()
    headers = {}
    while (raw := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if length := int(headers.get("content-length", "0")):
        await reader.readexactly(length)
    connection = headers.get("connection", "").lower()
    keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
    return method, target, headers, keep_alive


def encode_response(
    status: int, headers: dict, body: bytes, method: str, keep_alive: bool
) -> bytes:
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}"]
    headers = {**headers, "Content-Length": str(len(body)), "Server": "fakeforum"}
    headers["Connection"] = "keep-alive" if keep_alive else "close"
    lines += [f"{k}: {v}" for k, v in headers.items()]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if method == "HEAD" else head + body


async def serve(replica: Replica, faults: Faults, port: int, js: JsModes | None = None) -> None:
    """Serve on 127.0.0.1 until SIGTERM/SIGINT; print the URL first (servers.py waits for it)."""
    app = ReplicaServer(replica, faults, js)
    server = await asyncio.start_server(app.handle, "127.0.0.1", port)
    actual = server.sockets[0].getsockname()[1]
    print(f"fakeforum serving http://127.0.0.1:{actual} (seed {replica.seed})", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    print(f"fakeforum stopped after {app.requests} requests", file=sys.stderr, flush=True)
