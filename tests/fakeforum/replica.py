"""The replica forum: its model (subforums, threads, posts, users) and `render(path)` per URL."""

from __future__ import annotations

import random
import re
from collections import OrderedDict
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakeforum import pages, seed
from tests.fakeforum.generate import ThreadWriter, edit_units, make_skeleton, make_users
from tests.fakeforum.model import NOW, SUBFORUMS, Post, Subforum, Thread, User, stable_fraction

HTML = "text/html; charset=utf-8"
ROBOTS = "User-agent: *\nDisallow: /mytlnet/\n"
REVISION_EDIT_RATE = 0.04
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
    ):
        self.seed, self.revision = seed, revision
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

    # --- model access ---
    def forum(self, slug: str) -> Subforum:
        return next(f for f in self.subforums if f.slug == slug)

    def posts(self, thread: Thread) -> list[Post]:
        """The thread's posts, generated on first use; the least recently used threads are
        dropped when the cache holds more than CACHED_POSTS posts."""
        if thread.id in self._cache:
            self._cache.move_to_end(thread.id)
            return self._cache[thread.id]
        posts = self._generate(thread)
        self._cache[thread.id] = posts
        self._cached_posts += len(posts)
        while self._cached_posts > CACHED_POSTS and len(self._cache) > 1:
            self._cached_posts -= len(self._cache.popitem(last=False)[1])
        return posts

    def _generate(self, thread: Thread) -> list[Post]:
        if thread.kind == "seed":
            posts = seed.build_seed_thread(thread.forum)[1]
            for post in posts:  # the seed thread object is the one in self.threads
                post.thread = thread
        else:
            posts = ThreadWriter(thread).write()
        for k in range(1, self.revision + 1):
            self._apply_revision(posts, k)
        return posts

    def _apply_revision(self, posts: list[Post], k: int) -> None:
        """Revision k edits a deterministic subset of posts: new words, a new Last Edited time."""
        for post in posts:
            if stable_fraction(self.seed, "revision", k, post.id) < REVISION_EDIT_RATE:
                rng = random.Random(f"{self.seed}/revision/{k}/{post.id}")
                post.units = edit_units(post.units, rng)
                post.edited_at = NOW + timedelta(hours=k, seconds=rng.randint(0, 3000))

    def all_posts(self):
        """Every post, thread by thread (generated afresh, not cached)."""
        for forum in self.subforums:
            for thread in forum.threads:
                yield thread, self._generate(thread)

    def find_post(self, post_id: int) -> Thread | None:
        thread_id = post_id // 10000
        if thread_id in self.threads and post_id in self.threads[thread_id].post_ids:
            return self.threads[thread_id]
        seed_thread = self.threads.get(seed.TOPIC_ID)
        if seed_thread and post_id in seed_thread.post_ids:
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
        number = thread.post_ids.index(post_id) + 1
        return self._redirect(f"{thread.path}?page={thread.page_of(number)}#{number}")

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
