"""Stamp `crawled_at` on every item that has the field, so that feed items are complete without
MongoDB (the MongoDB writer keeps a stamp already set)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from itemadapter import ItemAdapter


class CrawledAtPipeline:
    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        if "crawled_at" in adapter.field_names() and adapter.get("crawled_at") is None:
            adapter["crawled_at"] = datetime.now(UTC)
        return item
