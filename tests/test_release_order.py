"""ReleaseOrderPipeline: a thread's items leave in the order the spider stamped them."""

from __future__ import annotations

import asyncio

import pytest_twisted
from twisted.internet.defer import Deferred

from tlcrawl.items import ReleaseStamp, stamp
from tlcrawl.pipelines.release_order import ReleaseOrderPipeline


class Item:
    def __init__(self, name: str):
        self.name = name


async def _through(pipeline: ReleaseOrderPipeline, item: Item, out: list[str]) -> None:
    await pipeline.process_item(item)
    out.append(item.name)  # what the next stage would see, in this order


def _items(thread_id: int, names: list[str]) -> list[Item]:
    items = [Item(name) for name in names]
    for position, item in enumerate(items):
        stamp(item, ReleaseStamp(thread_id, position, last=position == len(items) - 1))
    return items


@pytest_twisted.ensureDeferred
async def test_items_arriving_out_of_order_leave_in_release_order():
    pipeline, out = ReleaseOrderPipeline(), []
    a0, a1, a2 = _items(1, ["a0", "a1", "a2"])
    (b0,) = _items(2, ["b0"])
    unstamped = Item("x")
    # As when two callbacks' outputs interleave: a later page reaches the pipelines first.
    arrival = [a2, b0, a1, unstamped, a0]
    tasks = [asyncio.ensure_future(_through(pipeline, item, out)) for item in arrival]
    await Deferred.fromFuture(asyncio.ensure_future(asyncio.gather(*tasks)))
    assert [name for name in out if name.startswith("a")] == ["a0", "a1", "a2"]
    assert out.index("b0") < out.index("a0") and out.index("x") < out.index("a0")
    assert pipeline.threads == {}, "a thread's turns are forgotten after its last item"
