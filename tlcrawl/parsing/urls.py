"""The forum's URLs: recognise thread, post and forum links, and build canonical URLs.

Pure string functions. Hrefs may be absolute or relative; absolute ones may be on tl.net, on the
older teamliquid.net hosts, or on any base URL the crawl runs against (the replica's
`http://127.0.0.1:PORT`). Built URLs always sit on the base they are given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urljoin, urlsplit

TL_HOSTS = frozenset({"tl.net", "www.tl.net", "teamliquid.net", "www.teamliquid.net"})

_THREAD_PATH = re.compile(r"^/forum/([A-Za-z0-9_-]+)/(\d+)(?:-([^/]*))?/?$")
_FORUM_PATH = re.compile(r"^/forum/([A-Za-z0-9_-]+)/$")
_FORUM_LIST_PATH = "/forum/"
_LEGACY_THREAD_PATH = "/forum/viewmessage.php"
_POST_PATH = "/forum/viewpost.php"
_POST_ID = re.compile(
    r"^(?:[a-z]+://[^/?#]*)?/forum/viewpost\.php\?(?:[^#]*&)?post_id=(\d+)(?:[&#]|$)"
)


@dataclass(frozen=True)
class ThreadRef:
    """What a thread or post link points at.

    A thread link has `thread_id` (and `forum`/`title_slug` unless it is the legacy
    `viewmessage.php?topic_id=N`); a post permalink has only `post_id`.
    """

    base: str  # scheme://host of the link, "" for a relative link without a base
    forum: str | None = None
    thread_id: int | None = None
    title_slug: str | None = None
    page: int = 1
    last_page: bool = False  # ?page=last
    view_all: bool = False  # ?view=all
    post_id: int | None = None
    anchor: int | None = None  # #N, a post number on the page

    @property
    def is_post(self) -> bool:
        return self.post_id is not None and self.thread_id is None

    @property
    def canonical_url(self) -> str | None:
        """Page 1 of the thread, no query; None when the link lacks the forum slug."""
        if self.forum is None or self.thread_id is None:
            return None
        tail = f"-{self.title_slug}" if self.title_slug else ""
        return f"{self.base}/forum/{self.forum}/{self.thread_id}{tail}"


def origin(url: str) -> str:
    """`scheme://host[:port]` of an absolute URL, "" for a relative one."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""


def is_forum_host(url: str, base: str | None = None) -> bool:
    """True for relative URLs, TL hosts and (when given) the base's own host."""
    host = urlsplit(url).hostname
    if host is None:
        return True
    return host in TL_HOSTS or (base is not None and host == urlsplit(base).hostname)


def _absolute(url: str, base: str) -> str:
    """`urljoin(base, url)` (but for an empty `?` or `#`, which urlsplit reads as none), without
    its cost for the forum's usual hrefs: an absolute URL, or a path without dot segments, needs
    no resolving. urljoin cost more than all the rest of reading a link."""
    if url.startswith(("http://", "https://")):
        return url
    if url.startswith("/") and not url.startswith("//") and "/." not in url:
        return origin(base) + url  # a relative base has no origin: the path stays as it is
    return urljoin(base, url)


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def _query(parts) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(parts.query).items()}


def parse_thread_url(url: str, base: str | None = None) -> ThreadRef | None:
    """Recognise a thread page, legacy thread or post permalink URL; None for anything else.

    `base` resolves relative hrefs and restricts absolute ones to TL hosts or the base's host.
    Without a base, any host is accepted (the spider parses its own response URLs).
    """
    absolute = _absolute(url, base) if base else url
    if base and not is_forum_host(absolute, base):
        return None
    parts = urlsplit(absolute)
    query = _query(parts)
    anchor = _int(parts.fragment)
    if parts.path == _POST_PATH:
        post_id = _int(query.get("post_id"))
        return ThreadRef(origin(absolute), post_id=post_id, anchor=anchor) if post_id else None
    if parts.path == _LEGACY_THREAD_PATH:
        topic = _int(query.get("topic_id"))
        return ThreadRef(origin(absolute), thread_id=topic, anchor=anchor) if topic else None
    match = _THREAD_PATH.match(parts.path)
    if not match:
        return None
    page_arg = query.get("page", "")
    return ThreadRef(
        base=origin(absolute),
        forum=match.group(1),
        thread_id=int(match.group(2)),
        title_slug=match.group(3) or None,
        page=int(page_arg) if page_arg.isdigit() and int(page_arg) > 0 else 1,
        last_page=page_arg == "last",
        view_all=query.get("view") == "all",
        anchor=anchor,
    )


def parse_typed_link(text: str) -> ThreadRef | None:
    """A thread or post link as a person types it: any URL form `parse_thread_url` knows, on any
    host, also without its scheme (`tl.net/forum/...`) or as a bare path (`/forum/...`).
    A bare number is not a link: whether it is a thread or a post id is the caller's to say."""
    text = text.strip()
    if not text or any(c.isspace() for c in text):
        return None
    if not text.startswith("/") and "://" not in text:
        text = "https://" + text  # `tl.net/forum/...` as copied from an address bar
    try:
        return parse_thread_url(text)
    except ValueError:  # urlsplit refuses e.g. an invalid IPv6 host
        return None


def canonical_thread_url(url: str, base: str | None = None) -> str | None:
    """Page 1 of the thread `url` links to, on `base` when given (else on the link's own host)."""
    ref = parse_thread_url(url, base)
    if ref is None or ref.canonical_url is None:
        return None
    if base:
        return _base(base) + ref.canonical_url[len(ref.base) :]
    return ref.canonical_url


def thread_page_url(thread_url: str, page: int) -> str:
    """Page `page` of a thread, from any URL of it; page 1 is the bare canonical URL."""
    canonical = canonical_thread_url(thread_url)
    if canonical is None:
        raise ValueError(f"not a thread URL with a forum slug: {thread_url!r}")
    return canonical if page <= 1 else f"{canonical}?page={page}"


def parse_forum_url(url: str, base: str | None = None) -> tuple[str, int] | None:
    """`(slug, page)` for a subforum index URL `/forum/<slug>/[?currentpage=N]`, else None."""
    absolute = _absolute(url, base) if base else url
    if base and not is_forum_host(absolute, base):
        return None
    parts = urlsplit(absolute)
    match = _FORUM_PATH.match(parts.path)
    if not match:
        return None
    page = _int(_query(parts).get("currentpage"))
    return match.group(1), page if page else 1


def post_id_from_url(url: str) -> int | None:
    """The post id of a `viewpost.php?post_id=N` link (relative or absolute, any host).

    A regex rather than `parse_thread_url`: it runs for every post and is ten times faster.
    """
    match = _POST_ID.search(url)
    return int(match.group(1)) if match else None


def _base(base: str) -> str:
    """The origin of `base`, so callers may pass any page URL of the site."""
    return origin(base) or base.rstrip("/")


def forum_list_url(base: str) -> str:
    """The list of all forums, where a full crawl starts."""
    return f"{_base(base)}/forum/"


def is_forum_list(url: str) -> bool:
    return urlsplit(url).path == _FORUM_LIST_PATH


def forum_url(base: str, slug: str) -> str:
    return f"{_base(base)}/forum/{slug}/"


def forum_index_page_url(base: str, slug: str, page: int) -> str:
    """A subforum index page; page 1 is the bare forum URL."""
    url = forum_url(base, slug)
    return url if page <= 1 else f"{url}?currentpage={page}"


def post_url(base: str, post_id: int) -> str:
    return f"{_base(base)}/forum/viewpost.php?post_id={post_id}"


def profile_url(base: str, name: str) -> str:
    return f"{_base(base)}/forum/profile.php?user={quote(name)}"
