"""Let each thread's items through in the order the spider released them (see items.stamp).

Runs first. An item whose turn has not come waits here (in memory: at most the items Scrapy
already holds in flight); the items of other threads, and unstamped items, pass at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from tlcrawl.items import stamp_of


@dataclass
class _Turns:
    next_position: int = 0
    waiting: dict[int, asyncio.Future] = field(default_factory=dict)


class ReleaseOrderPipeline:
    def __init__(self) -> None:
        self.threads: dict[int, _Turns] = {}

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        release = stamp_of(item)
        if release is None:
            return item
        turns = self.threads.setdefault(release.thread_id, _Turns())
        if release.position != turns.next_position:
            turn = asyncio.get_running_loop().create_future()
            turns.waiting[release.position] = turn
            await turn
        # The item goes on through the later stages in this same step (a stage that must wait,
        # like an archive lookup, keeps the order with its own per-thread lock).
        turns.next_position += 1
        if release.last:
            del self.threads[release.thread_id]
        elif (following := turns.waiting.pop(turns.next_position, None)) is not None:
            following.set_result(None)
        return item
