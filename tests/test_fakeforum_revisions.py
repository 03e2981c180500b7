"""The replica's time axis (`--revision K`, `--renumber`) and `--markup lost`, checked on its pages.

Pages are read with lxml (the independent reader in tests/support.py), never with tlcrawl; the
truth of each revision is compared with what the pages show and with revision 0's truth.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import lxml.html
import pytest

from tests.fakeforum import build_forum
from tests.fakeforum.changes import changes
from tests.servers import ROOT
from tests.support import SEED_PATH, body_of, of_type, page_posts, rule_text
from tests.support import TRUTH_BASE as BASE

SIZE = {"forums": 2, "threads_per_forum": 30}
LONG = 112009  # `games` #9: the long thread (README)
CLOCK = datetime.fromisoformat("2025-09-11T03:00:00+00:00")  # revision 0's clock (README)


def build(revision=0, renumber=False, **options):
    return build_forum(**SIZE, revision=revision, renumber=renumber, **options)


@pytest.fixture(scope="module")
def forums():
    return {key: build(*key) for key in [(0, False), (1, False), (1, True), (2, False), (2, True)]}


@pytest.fixture(scope="module")
def truths(forums):
    return {key: list(forum.truth_documents(BASE)) for key, forum in forums.items()}


def posts_of(docs, present=True):
    return {p["_id"]: p for p in of_type(docs, "post") if bool(p.get("deleted")) != present}


def threads_of(docs):
    return {t["_id"]: t for t in of_type(docs, "thread")}


def path(url: str) -> str:
    return url.removeprefix(BASE)


@pytest.mark.parametrize("key", [(1, False), (1, True), (2, True)])
def test_pages_hold_the_present_posts_in_order_twenty_a_page(forums, truths, key):
    forum, docs = forums[key], truths[key]
    present, deleted = posts_of(docs), posts_of(docs, present=False)
    by_thread = defaultdict(list)
    for post in present.values():
        by_thread[post["thread_id"]].append(post)
    for thread in threads_of(docs).values():
        expected = by_thread[thread["_id"]]
        assert thread["replies"] == len(expected) - 1
        assert thread["pages"] == -(-len(expected) // 20)
        assert thread["last_post_at"] == max(p["posted_at"] for p in expected)
        shown = []
        for page in range(1, thread["pages"] + 1):
            html = body_of(forum, f"{path(thread['url'])}?page={page}")
            found = page_posts(html)
            assert len(found) == (20 if page < thread["pages"] else len(expected) - 20 * (page - 1))
            shown += [(page, number, post_id) for number, post_id, _ in found]
            if thread["_id"] != LONG:  # the long thread's bodies are checked at revision 0
                for _, post_id, section in found:
                    assert rule_text(section) == present[post_id]["text"]
        assert shown == [(p["page"], p["number"], p["_id"]) for p in expected]
        assert not {i for _, _, i in shown} & deleted.keys()
    for post_id in deleted:
        assert forum.render(f"/forum/viewpost.php?post_id={post_id}")[0] == 404


def test_index_pages_order_threads_by_last_post_stickies_first(forums, truths):
    forum, threads = forums[(2, False)], threads_of(truths[(2, False)])
    for slug in ("games", "starcraft-2"):
        tree = lxml.html.fromstring(body_of(forum, f"/forum/{slug}/"))
        rows = []
        for row in tree.cssselect("tr.forumindex"):
            href = row.cssselect("td")[1].cssselect("a")[0].get("href")
            thread_id = int(re.search(r"/(\d+)-", href).group(1))
            cells = row.cssselect("td")
            rows.append((thread_id, int(cells[3].text_content()), threads[thread_id]))
        assert {t for t, _, _ in rows} == {t["_id"] for t in threads.values() if t["forum"] == slug}
        assert all(replies == thread["replies"] for _, replies, thread in rows)
        sticky = [thread["sticky"] for _, _, thread in rows]
        assert sticky == sorted(sticky, reverse=True) and sticky[0]
        times = [thread["last_post_at"] for _, _, thread in rows if not thread["sticky"]]
        assert times == sorted(times, reverse=True)


def test_each_revision_adds_posts_threads_and_deletes_posts(truths):
    """Cumulative: revision 2 holds what revision 1 added and deleted, and its own changes."""
    threads0 = threads_of(truths[(0, False)])
    previous = truths[(0, False)]
    for revision in (1, 2):
        docs = truths[(revision, False)]
        start, end = CLOCK + timedelta(days=revision - 1), CLOCK + timedelta(days=revision)
        before, present = {p["_id"]: p for p in of_type(previous, "post")}, posts_of(docs)
        deleted_now = posts_of(docs, present=False).keys() - posts_of(previous, False).keys()
        added = [p for i, p in present.items() if i not in before]
        assert all(start < datetime.fromisoformat(p["posted_at"]) <= end for p in added)
        grew = Counter(p["thread_id"] for p in added)
        assert LONG in grew and len([t for t in grew if t in threads0]) >= 0.05 * len(threads0)
        new_threads = threads_of(docs).keys() - threads_of(previous).keys()
        assert sorted(threads_of(docs)[t]["forum"] for t in new_threads) == ["games", "starcraft-2"]
        assert 2 <= len(deleted_now) <= 4
        gone = [posts_of(docs, present=False)[i] for i in deleted_now]
        assert len({p["thread_id"] for p in gone}) == len(gone)
        assert all(p["number"] > 1 and p == before[p["_id"]] | {"deleted": True} for p in gone)
        thread_pages = {t: threads_of(previous)[t]["pages"] for t in threads_of(previous)}
        assert any(p["page"] < thread_pages[p["thread_id"]] for p in gone)
        assert posts_of(previous, present=False).keys() <= posts_of(docs, present=False).keys()
        previous = docs


def test_new_posts_quote_much_older_posts_with_the_usual_header(truths):
    docs = truths[(1, False)]
    before, everything = posts_of(truths[(0, False)]), {p["_id"]: p for p in of_type(docs, "post")}
    added = [p for i, p in posts_of(docs).items() if i not in before]
    far = []
    for post in added:
        for quote in post["quotes"]:
            parent = everything.get(quote["parent_id"])
            if parent and parent["page"] <= post["page"] - 3:
                assert (quote["author"], quote["quoted_at"]) == (
                    parent["author"],
                    parent["posted_at"],
                )
                far.append(post["thread_id"])
    assert far.count(LONG) >= 2


def test_users_span_every_post_that_ever_existed(truths):
    docs = truths[(2, False)]
    posts = of_type(docs, "post")
    for user in of_type(docs, "user"):
        times = [p["posted_at"] for p in posts if p["author"] == user["_id"]]
        assert (user["first_post_at"], user["last_post_at"]) == (min(times), max(times))
    only_deleted = {p["author"] for p in posts if p.get("deleted")} - {
        p["author"] for p in posts if not p.get("deleted")
    }
    assert only_deleted <= {u["_id"] for u in of_type(docs, "user")}


def test_gap_numbering_keeps_numbers_renumbering_closes_the_gap(truths):
    zero = posts_of(truths[(0, False)])
    gap, renumbered = posts_of(truths[(2, False)]), posts_of(truths[(2, True)])
    assert gap.keys() == renumbered.keys()  # same posts, ids never change
    assert all(gap[i]["number"] == zero[i]["number"] for i in gap.keys() & zero.keys())
    assert all(gap[i]["page"] == renumbered[i]["page"] for i in gap)
    numbers = defaultdict(list)
    for post in renumbered.values():
        numbers[post["thread_id"]].append(post["number"])
    assert all(sorted(n) == list(range(1, len(n) + 1)) for n in numbers.values())
    gaps = {p["thread_id"] for p in posts_of(truths[(2, False)], present=False).values()}
    differ = {p["thread_id"] for i, p in gap.items() if p["number"] != renumbered[i]["number"]}
    assert differ and differ <= gaps


def test_changes_lists_what_the_truths_show(forums, truths):
    for key in [(1, False), (2, True)]:
        found = changes(forums[(0, False)], forums[key])
        old, new = truths[(0, False)], truths[key]
        slots_old, slots_new = page_slots(old), page_slots(new)
        expected = {t for t in slots_new if slots_new[t] != slots_old.get(t)}
        assert found.keys() == expected
        deleted = posts_of(new, present=False)
        assert {t for t, c in found.items() if c.deleted} == {
            p["thread_id"] for p in deleted.values()
        }
        for thread_id, change in found.items():
            pages = sorted(
                page for page, slots in slots_new[thread_id].items()
                if slots_old.get(thread_id, {}).get(page) != slots
            )  # fmt: skip
            assert change.pages == pages and change.new_thread == (thread_id not in slots_old)
            old_pages = len(slots_old.get(thread_id, {}))
            assert change.moved == any(page < old_pages for page in pages)
        assert found[LONG].pages[0] >= 105 and not found[LONG].moved
        assert any(c.moved for c in found.values())


def page_slots(docs) -> dict[int, dict[int, list]]:
    slots = defaultdict(lambda: defaultdict(list))
    for post in posts_of(docs).values():
        slots[post["thread_id"]][post["page"]].append((post["_id"], post["number"]))
    return {t: dict(pages) for t, pages in slots.items()}


def test_relative_times_and_the_time_bar_follow_the_revision_clock(forums, truths):
    forum, docs = forums[(1, False)], truths[(1, False)]
    now = CLOCK + timedelta(days=1)
    thread = threads_of(docs)[LONG]
    pages = range(thread["pages"] - 2, thread["pages"] + 1)  # where revision 1's posts are
    html = "".join(body_of(forum, f"{path(thread['url'])}?page={page}") for page in pages)
    assert f"KST {now + timedelta(hours=9):%H:%M}" in html
    ages = re.findall(r'post_id=(\d+)" title="[^"]+"[^>]*>(\d+) (hours|minutes) ago<', html)
    assert len(ages) >= 5
    posts = posts_of(docs)
    for post_id, amount, unit in ages:
        age = now - datetime.fromisoformat(posts[int(post_id)]["posted_at"])
        assert int(amount) == (age.seconds // 3600 if unit == "hours" else age.seconds // 60)


def test_lost_markup_renames_post_classes_only():
    normal, lost = build(1), build(1, markup="lost")
    assert list(normal.truth_documents(BASE)) == list(lost.truth_documents(BASE))
    for target in ["/forum/", "/forum/games/", "/forum/starcraft-2/"]:
        assert normal.render(target) == lost.render(target)
    thread = normal.threads[LONG]
    for page in (1, thread.pages):
        before = body_of(normal, f"{thread.path}?page={page}")
        after = body_of(lost, f"{thread.path}?page={page}")
        for name in ("forumPost", "fpost-username", "fpost-userinfo", "submessage", "forumsig"):
            assert name in before and name not in after
        assert "pagination" in after and after.count("<article") == before.count("<article") > 0
        assert lxml.html.fromstring(after).text_content() == (
            lxml.html.fromstring(before).text_content()
        )
    with pytest.raises(ValueError, match="markup"):
        build(markup="redesigned")


def test_cli_revision_renumber_and_lost_markup(replica, truths):
    command = [sys.executable, "-m", "tests.fakeforum", "truth", "--base-url", BASE]
    command += ["--forums", "2", "--threads-per-forum", "30", "--revision", "2", "--renumber"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    docs = [json.loads(line) for line in done.stdout.splitlines()]
    assert docs == json.loads(json.dumps(truths[(2, True)]))
    server = replica("--forums", "1", "--threads-per-forum", "3", "--markup", "lost")
    with urllib.request.urlopen(server.url + SEED_PATH) as response:
        html = response.read().decode()
    assert "#1</a>" in html and "forumPost" not in html and "msg-body" in html
