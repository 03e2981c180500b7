"""The local file of documents the writer could not store, in MongoDB extended JSON lines.

Each line is `{"collection": ..., "document": ..., "error": ...}`; `bson.json_util` keeps dates
(and other BSON types) exact, so `python -m tlcrawl.storage.replay FILE` stores the same documents.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import UTC
from pathlib import Path

from bson import json_util

from tlcrawl.storage.documents import Document

_READ_OPTIONS = json_util.JSONOptions(tz_aware=True, tzinfo=UTC)


class DeadLetterFile:
    """Appends failed documents to `path`; the file (and its folder) is created on first use."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def append(self, collection: str, docs: Iterable[Document], error: str) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        count = 0
        with self.path.open("a", encoding="utf-8") as out:
            for doc in docs:
                line = {"collection": collection, "document": doc, "error": error}
                out.write(json_util.dumps(line, ensure_ascii=False) + "\n")
                count += 1
            out.flush()
            os.fsync(out.fileno())  # the only copy until replayed: through the OS's cache too
        return count


def read_dead_letters(
    path: str | Path, unreadable: list[int] | None = None
) -> Iterator[tuple[str, Document]]:
    """(collection, document) for each line of a dead-letter file, in file order.

    A line that is not one (the last, cut short by a crash) raises ValueError, or, given a list
    `unreadable`, has its number added there and is skipped: the other lines still count.
    """
    with Path(path).open("rb") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entry = json_util.loads(line.decode("utf-8"), json_options=_READ_OPTIONS)
                found = entry["collection"], entry["document"]
            except (ValueError, TypeError, KeyError) as exc:  # JSON or UTF-8 broken
                if unreadable is None:
                    raise ValueError(f"{path}:{number}: not a dead-letter line: {exc}") from exc
                unreadable.append(number)
                continue
            yield found
