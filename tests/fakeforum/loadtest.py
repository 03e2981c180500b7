"""Measure how many pages per second a running replica serves.

    python -m tests.fakeforum.loadtest http://127.0.0.1:PORT --forums 4 --threads-per-forum 250

Requests thread pages (each page once, in a fixed shuffled order, so generation is not cached),
with `--concurrency` keep-alive connections, up to `--max-requests`; prints pages/s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from urllib.parse import urlsplit

from tests.fakeforum.replica import Replica


async def fetch_all(base: str, paths: list[str], concurrency: int) -> dict[int, int]:
    url = urlsplit(base)
    queue: asyncio.Queue[str] = asyncio.Queue()
    for path in paths:
        queue.put_nowait(path)
    statuses: dict[int, int] = {}

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        while not queue.empty():
            path = queue.get_nowait()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {url.netloc}\r\n\r\n".encode())
            status, length = await read_head(reader)
            await reader.readexactly(length)
            statuses[status] = statuses.get(status, 0) + 1
        writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return statuses


async def read_head(reader: asyncio.StreamReader) -> tuple[int, int]:
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return status, length


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--forums", type=int, default=2)
    parser.add_argument("--threads-per-forum", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--max-requests", type=int, default=2000)
    args = parser.parse_args()
    replica = Replica(seed=args.seed, forums=args.forums, threads_per_forum=args.threads_per_forum)
    paths = [
        f"{t.path}?page={p}" if p > 1 else t.path
        for t in replica.threads.values()
        for p in range(1, t.pages + 1)
    ]
    random.Random(0).shuffle(paths)
    paths = paths[: args.max_requests]
    started = time.monotonic()
    statuses = asyncio.run(fetch_all(args.base_url, paths, args.concurrency))
    elapsed = time.monotonic() - started
    print(f"{len(paths)} thread pages in {elapsed:.2f} s: {len(paths) / elapsed:.0f} pages/s")
    print(f"statuses: {statuses}")


if __name__ == "__main__":
    main()
