"""A deterministic local replica of the TL.net forum, and its ground truth.

    from tests.fakeforum import build_forum
    forum = build_forum(seed=1, forums=2, threads_per_forum=10)
    status, headers, body = forum.render("/forum/games/")
    docs = list(forum.truth_documents("http://127.0.0.1:8000"))
    later = build_forum(seed=1, forums=2, threads_per_forum=10, revision=1, renumber=False)
    changed = tests.fakeforum.changes.changes(forum, later)   # threads/pages that differ

CLI: `python -m tests.fakeforum serve --port 0`, `python -m tests.fakeforum truth --base-url URL`
(both accept `--revision K`, `--renumber`, `--markup lost`; see README.md).
"""

from tests.fakeforum.replica import Replica, build_forum

Forum = Replica

__all__ = ["Forum", "Replica", "build_forum"]
