"""Read the saved replica pages and their truth (written by `save.py`)."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from functools import cache

from tests.files.replica.save import BASE_URL, HERE, file_name


def page(path: str) -> tuple[bytes, str]:
    """The saved page's bytes and the URL it was served at."""
    return (HERE / file_name(path)).read_bytes(), BASE_URL + path


def paths() -> list[str]:
    return json.loads((HERE / "pages.json").read_text())


@cache
def truth() -> dict[str, dict]:
    """Truth documents by type, then by `_id`."""
    by_type: dict[str, dict] = defaultdict(dict)
    for line in (HERE / "truth.jsonl").read_text().splitlines():
        document = json.loads(line)
        by_type[document["type"]][document["_id"]] = document
    return by_type


def when(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None
