"""Save replica pages and their ground truth here, for the saved-page parser tests.

Run from the project root: `.venv/bin/python -m tests.files.replica.save`. Pages are rendered
in-process (no server); file names are the page paths with `/` and `?` replaced. The truth keeps the
forums, threads and users, and only the posts on the saved thread pages.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.fakeforum.replica import Replica

HERE = Path(__file__).resolve().parent
BASE_URL = "http://127.0.0.1:8080"
OPTIONS = {"seed": 1, "forums": 2, "threads_per_forum": 10, "long_pages": 12}
# (thread id, page or "all"): the seed thread, sticky, locked, relative-time ("active"), the long
# thread mid-way (elided pager), a single-page thread, a view=all page, a locked last page.
THREAD_PAGES = [
    (622006, 1),
    (622006, 2),
    (112002, 1),
    (112003, 1),
    (112004, 2),
    (112009, 6),
    (119000, 1),
    (119002, "all"),
    (119003, 5),
]


def file_name(path: str) -> str:
    return re.sub(r"[/?=&]+", "_", path.strip("/")) + ".html"


def thread_path(replica: Replica, thread_id: int, page: int | str) -> str:
    path = replica.threads[thread_id].path
    if page == "all":
        return f"{path}?view=all"
    return path if page == 1 else f"{path}?page={page}"


def _saved(post: dict) -> bool:
    """The post is on one of the saved thread pages."""
    pages = {page for thread_id, page in THREAD_PAGES if thread_id == post["thread_id"]}
    return "all" in pages or post["page"] in pages


def main() -> None:
    replica = Replica(**OPTIONS)
    paths = ["/forum/", *(forum.path for forum in replica.subforums)]
    paths += [thread_path(replica, thread_id, page) for thread_id, page in THREAD_PAGES]
    for path in paths:
        status, _, body = replica.render(path)
        assert status == 200, (path, status)
        (HERE / file_name(path)).write_bytes(body)
    with (HERE / "truth.jsonl").open("w") as out:
        for document in replica.truth_documents(BASE_URL):
            if document["type"] != "post" or _saved(document):
                out.write(json.dumps(document, ensure_ascii=False) + "\n")
    (HERE / "pages.json").write_text(json.dumps(paths, indent=1) + "\n")


if __name__ == "__main__":
    main()
