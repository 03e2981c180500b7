"""The replica forum: its model (subforums, threads, posts, users) and `render(path)` per URL."""

from __future__ import annotations

import math
import random
import re
from collections import OrderedDict
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakeforum import pages, seed
from tests.fakeforum.generate import (
    LaterWriter,
    ThreadWriter,
    make_skeleton,
    make_users,
    new_thread_skeleton,
    revision_edit,
)
from tests.fakeforum.model import (
    DAY,
    POSTS_PER_PAGE,
    SUBFORUMS,
    Post,
    Subforum,
    Thread,
    User,
    clock,
    stable_fraction,
)

HTML = "text/html; charset=utf-8"
ROBOTS = "User-agent: *\nDisallow: /mytlnet/\n"
# Each revision edits posts as a forum's users do: mostly recent posts (younger than RECENT at the
# revision's clock), a few old ones.
RECENT = 3 * DAY
RECENT_EDIT_RATE = 0.25
OLD_EDIT_RATE = 0.006
# Each revision adds posts to threads: the long thread and the active ones always, others by chance,
# at least GROWING_SHARE of all threads.
GROWING_RATE = 0.06
GROWING_SHARE = 0.05
MARKUPS = ("normal", "lost")
# Generated threads are kept up to this many posts (about 2 KB each): the full-scale replica.
CACHED_POSTS = 60_000
# Special threads by their index in a forum; every other thread is regular (or, 5%, active).
# The long thread is #9 of `games`, so small replicas (under 10 threads per forum) stay quick.
KINDS = {1: "newyear", 2: "sticky", 3: "locked", 4: "active"}
LONG_THREAD_INDEX = 9
_THREAD_PATH = re.compile(r"^/forum/([a-z0-9-]+)/(\d+)-([a-z0-9-]+)$")
_FORUM_PATH = re.compile(r"^/forum/([a-z0-9-]+)/$")

Response = tuple[int, dict[str, str], bytes]


class Replica:
    def __init__(
        self,
        seed: int = 1,
        forums: int = 2,
        threads_per_forum: int = 10,
        revision: int = 0,
        long_pages: int = 105,
        renumber: bool = False,
        markup: str = "normal",
    ):
        if markup not in MARKUPS:
            raise ValueError(f"markup must be one of {', '.join(MARKUPS)}, not {markup!r}")
        self.seed, self.revision, self.renumber, self.markup = seed, revision, renumber, markup
        self.now = clock(revision)
        self.threads_per_forum = threads_per_forum
        self.users: dict[str, User] = make_users(seed)
        names = list(self.users)
        self.subforums = [Subforum(*f) for f in SUBFORUMS[: max(1, forums)]]
        if len(self.subforums) > 1:
            self.subforums[-1].show_fid = False
        self.threads: dict[int, Thread] = {}
        for forum in self.subforums:
            for index in range(threads_per_forum):
                thread = self._skeleton(forum, index, names, long_pages)
                forum.threads.append(thread)
                self.threads[thread.id] = thread
        for k in range(1, revision + 1):
            self._advance(k, names)
        self._cache: OrderedDict[int, list[Post]] = OrderedDict()
        self._cached_posts = 0

    def _skeleton(self, forum: Subforum, index: int, names: list[str], long_pages: int) -> Thread:
        if forum.slug == "games" and index == 0:
            return seed.build_seed_thread(forum.slug)[0]
        kind = KINDS.get(index, "regular")
        if forum.slug == "games" and index == LONG_THREAD_INDEX and long_pages > 0:
            kind = "long"
        elif (
            kind == "regular" and random.Random(f"{self.seed}/{forum.slug}/{index}").random() < 0.05
        ):
            kind = "active"
        return make_skeleton(self.seed, forum.slug, forum.forum_id, index, kind, names, long_pages)

    # --- the time axis: what revision k changes, decided on skeletons (content comes later) ---
    def _advance(self, k: int, names: list[str]) -> None:
        """Revision k: the day before clock(k). Deletions, then new posts, then new threads."""
        if k == 1:
            for thread in self.threads.values():
                thread.start_time_axis()
        rng = random.Random(f"{self.seed}/revision/{k}")
        start, end = clock(k - 1), clock(k)
        for thread, index in self._deletions(rng):
            thread.delete(index, k)
        for thread in self._growing(rng, k):
            self._grow(thread, rng, k, names, start, end)
        for forum in self.subforums:
            index = self.threads_per_forum + k - 1
            thread = new_thread_skeleton(self.seed, forum.slug, forum.forum_id, index, names,
                                         start, end)  # fmt: skip
            thread.start_time_axis()
            thread.created = k
            forum.threads.append(thread)
            self.threads[thread.id] = thread
        if self.renumber:
            for thread in self.threads.values():
                thread.renumber()

    def _deletions(self, rng: random.Random) -> list[tuple[Thread, int]]:
        """2-4 posts in different threads (never a thread's first post, nor in the seed or long
        thread); the first one is never on its thread's last page, so later posts change pages."""
        threads = [t for t in self.threads.values() if t.kind not in ("seed", "long")]
        threads = [t for t in threads if len(t.post_ids) > 1]
        rng.shuffle(threads)
        multi = [t for t in threads if t.pages > 1]
        chosen: list[tuple[Thread, int]] = []
        wanted = rng.randint(2, 4)
        if multi:
            thread = multi[0]
            chosen.append((thread, rng.randint(1, (thread.pages - 1) * POSTS_PER_PAGE - 1)))
        for thread in threads:
            if len(chosen) >= wanted:
                break
            if all(thread is not t for t, _ in chosen):
                chosen.append((thread, rng.randint(1, len(thread.post_ids) - 1)))
        return chosen

    def _growing(self, rng: random.Random, k: int) -> list[Thread]:
        """The threads that get new posts in revision k (never locked ones)."""
        open_threads = [t for t in self.threads.values() if not t.locked and t.kind != "seed"]
        chance = {"long": 1.0, "active": 1.0, "new": 0.5}
        rolls = {t.id: rng.random() for t in open_threads}
        growing = [t for t in open_threads if rolls[t.id] < chance.get(t.kind, GROWING_RATE)]
        wanted = math.ceil(GROWING_SHARE * len(self.threads))
        for thread in sorted(open_threads, key=lambda t: rolls[t.id]):
            if len(growing) >= wanted:
                break
            if thread not in growing:
                growing.append(thread)
        return growing

    def _grow(self, thread: Thread, rng, k: int, names: list[str], start, end) -> None:
        """New posts, dated in the day before the revision's clock, after the thread's last."""
        count = (
            rng.randint(12, 30)
            if thread.kind == "long"
            else min(15, 1 + int(rng.expovariate(1 / 3)))
        )
        first = max(start, thread.times[-1]) + timedelta(minutes=1)
        minutes = int((end - first).total_seconds() // 60) - 1
        if minutes < count:
            return
        cast = list(dict.fromkeys(thread.authors))
        times = sorted(rng.sample(range(minutes), count))
        author = None
        for offset in times:
            if not (author and rng.random() < 0.03):  # else a double post: same author, next one
                author = rng.choice(cast) if rng.random() < 0.7 else rng.choice(names)
            when = first.replace(second=0, microsecond=0) + timedelta(minutes=offset)
            thread.add(author, when, k)
        thread.views += count * rng.randint(3, 20)

    # --- model access ---
    def forum(self, slug: str) -> Subforum:
        return next(f for f in self.subforums if f.slug == slug)

    def posts(self, thread: Thread) -> list[Post]:
        """The thread's present posts, generated on first use; the least recently used threads are
        dropped when the cache holds more than CACHED_POSTS posts."""
        if thread.id in self._cache:
            self._cache.move_to_end(thread.id)
            return self._cache[thread.id]
        posts = [p for p in self._generate(thread) if p.deleted_in is None]
        self._cache[thread.id] = posts
        self._cached_posts += len(posts)
        while self._cached_posts > CACHED_POSTS and len(self._cache) > 1:
            self._cached_posts -= len(self._cache.popitem(last=False)[1])
        return posts

    def _generate(self, thread: Thread) -> list[Post]:
        """The thread's present posts in order, then the ones deleted (with `deleted_in`)."""
        if thread.kind == "seed":
            posts = seed.build_seed_thread(thread.forum)[1]
            for post in posts:  # the seed thread object is the one in self.threads
                post.thread = thread
        else:
            posts = ThreadWriter(thread).write()
        if not self.revision:
            return posts
        deleted: list[Post] = []
        for k in range(thread.created + 1, self.revision + 1):
            posts = self._revise(thread, posts, deleted, k)
        for index, post in enumerate(posts):
            post.index, post.number = index, thread.number(index)
        return posts + deleted

    def _revise(self, thread: Thread, posts: list[Post], deleted: list[Post], k: int) -> list[Post]:
        """Revision k of a thread's content, as its skeleton says: deletions, new posts, edits."""
        gone = {g.post_id: g for g in thread.gone if g.revision == k}
        for post in (p for p in posts if p.id in gone):
            post.deleted_in, post.index, post.number = k, gone[post.id].index, gone[post.id].number
            deleted.append(post)
        posts = [p for p in posts if p.id not in gone]
        new = [(pid, a, t) for pid, (r, a, t) in thread.added.items() if r == k]
        if new:
            writer = LaterWriter(thread, posts, f"{thread.rng_key}/revision/{k}")
            forced_old = 2 if thread.kind == "long" else 0  # the long thread always has some
            for i, (post_id, author, when) in enumerate(new):
                old = i < forced_old or writer.rng.random() < 0.2
                # Numbers are provisional here: _generate gives the revision's own at the end.
                writer.reply(post_id, len(writer.posts) + 1, author, when, old)
            posts = writer.posts
        start, end = clock(k - 1), clock(k)
        for post in posts:
            recent = end - post.posted_at <= RECENT
            rate = RECENT_EDIT_RATE if recent else OLD_EDIT_RATE
            if stable_fraction(self.seed, "revision", k, post.id) < rate:
                revision_edit(
                    post, random.Random(f"{self.seed}/revision/{k}/{post.id}"), start, end
                )
        return posts

    def all_posts(self):
        """Every post, thread by thread (generated afresh, not cached): the present ones in order,
        then the deleted ones (`deleted_in` set)."""
        for forum in self.subforums:
            for thread in forum.threads:
                yield thread, self._generate(thread)

    def find_post(self, post_id: int) -> Thread | None:
        """The thread holding a present post."""
        thread_id = post_id // 10000
        if thread_id in self.threads and self.threads[thread_id].index_of(post_id) is not None:
            return self.threads[thread_id]
        seed_thread = self.threads.get(seed.TOPIC_ID)
        if seed_thread and seed_thread.index_of(post_id) is not None:
            return seed_thread
        return None

    def truth_documents(self, base_url: str):
        from tests.fakeforum.truth import truth_documents

        return truth_documents(self, base_url)

    # --- pages ---
    def render(self, path: str) -> Response:
        """Status, headers and body for a path and query, e.g. `/forum/games/?currentpage=2`."""
        url = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/robots.txt":
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, ROBOTS.encode()
        if url.path == "/forum/":
            return self._html(pages.forum_list(self))
        if url.path == "/forum/viewpost.php":
            return self._viewpost(query.get("post_id", ""))
        if url.path == "/forum/viewmessage.php":
            thread = self.threads.get(_int(query.get("topic_id")))
            return self._redirect(thread.path) if thread else self._not_found()
        if url.path == "/forum/profile.php":
            user = self.users.get(query.get("user", ""))
            return self._html(pages.profile_page(self, user)) if user else self._not_found()
        if match := _FORUM_PATH.match(url.path):
            return self._forum_index(match.group(1), query)
        if match := _THREAD_PATH.match(url.path):
            return self._thread(int(match.group(2)), match.group(3), query)
        return self._not_found()

    def _forum_index(self, slug: str, query: dict[str, str]) -> Response:
        forum = next((f for f in self.subforums if f.slug == slug), None)
        page = _int(query.get("currentpage", "1"))
        html = pages.forum_index(self, forum, page) if forum else None
        return self._html(html) if html else self._not_found()

    def _thread(self, thread_id: int, slug: str, query: dict[str, str]) -> Response:
        thread = self.threads.get(thread_id)
        if thread is None or thread.slug != slug:
            return self._not_found()
        posts = self.posts(thread)
        if query.get("view") == "all":
            return self._html(pages.thread_page(self, thread, posts, None))
        raw = query.get("page", "1")
        page = thread.pages if raw == "last" else _int(raw)
        if not 1 <= page <= thread.pages:
            return self._not_found()
        on_page = pages.posts_on_page(posts, page)
        return self._html(pages.thread_page(self, thread, on_page, page))

    def _viewpost(self, raw_id: str) -> Response:
        post_id = _int(raw_id)
        thread = self.find_post(post_id)
        if thread is None:
            return self._not_found()
        index = thread.index_of(post_id)
        page = index // POSTS_PER_PAGE + 1
        return self._redirect(f"{thread.path}?page={page}#{thread.number(index)}")

    def _html(self, html: str) -> Response:
        return 200, {"Content-Type": HTML}, html.encode("utf-8")

    def _redirect(self, location: str) -> Response:
        return 302, {"Location": location, "Content-Type": HTML}, b""

    def _not_found(self) -> Response:
        body = pages.error_page(self, 404, "The page you requested does not exist.")
        return 404, {"Content-Type": HTML}, body.encode("utf-8")


def _int(value: str | None) -> int:
    try:
        return int(unquote(value or ""))
    except ValueError:
        return -1


def build_forum(**options) -> Replica:
    return Replica(**options)
