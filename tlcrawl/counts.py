"""Counters that a crawl records into its Scrapy stats, one stat per field."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar, Protocol


class Stats(Protocol):
    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None: ...


@dataclass
class StatCounts:
    """Integer fields recorded as `<PREFIX>/<field>` stats; zeros are left out."""

    PREFIX: ClassVar[str]

    def record(self, stats: Stats) -> None:
        for field in fields(self):
            if value := getattr(self, field.name):
                stats.inc_value(f"{self.PREFIX}/{field.name}", value)
