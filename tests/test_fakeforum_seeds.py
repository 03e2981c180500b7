"""The replica builds and prints its truth for every seed (issue 12: some seeds used to crash)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter

from tests.fakeforum import build_forum
from tests.servers import ROOT

BASE = "http://127.0.0.1:9"


def test_truth_for_every_seed_from_1_to_100():
    """Small forums keep this quick; the threads are the same ones bigger forums start with."""
    for seed in range(1, 101):
        forum = build_forum(seed=seed, forums=2, threads_per_forum=12, long_pages=4)
        posts = sum(d["type"] == "post" for d in forum.truth_documents(BASE))
        assert posts > 200, seed


def test_seeds_that_crashed_print_their_truth():
    """Seeds 18, 31, 72 and 100 had posts with more nested quotes than their share of toggle ids."""
    for seed in (18, 72, 100):
        forum = build_forum(seed=seed, forums=1, threads_per_forum=13)
        assert sum(d["type"] == "post" for d in forum.truth_documents(BASE)) > 2000
    command = [sys.executable, "-m", "tests.fakeforum", "truth", "--base-url", BASE]
    command += ["--seed", "31", "--forums", "2", "--threads-per-forum", "60"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    docs = [json.loads(line) for line in done.stdout.splitlines()]
    assert Counter(d["type"] for d in docs)["thread"] == 120


def test_toggle_and_spoiler_ids_stay_unique_on_every_page():
    forum = build_forum(seed=31, forums=1, threads_per_forum=13)
    thread = forum.threads[112012]  # the thread whose post #66 crashed seed 31
    pages = [forum.render(f"{thread.path}?page={n}")[2] for n in range(1, thread.pages + 1)]
    ids = [re.findall(rb'id="((?:showQuoteLink|spoiler)_\d+)"', body) for body in pages]
    assert sum(map(len, ids)) > 10
    assert all(len(page) == len(set(page)) for page in ids)


def test_revisions_build_for_many_seeds():
    """Three revisions of small forums, both numberings: every deletion is recorded in the truth."""
    for seed in range(1, 21):
        forum = build_forum(
            seed=seed, forums=2, threads_per_forum=6, revision=3, renumber=seed % 2 == 1
        )
        deleted = [d for d in forum.truth_documents(BASE) if d.get("deleted")]
        assert 6 <= len(deleted) <= 12, seed
