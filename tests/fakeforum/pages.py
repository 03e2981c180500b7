"""HTML for every page the replica serves, following docs/data-contract.md "Markup".

Optional details vary from post to post (driven by `Post.variant`) and from page to page: wrappers,
attribute order, absent country/PM/Blog, relative times, signatures, TL+ headers.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import quote

from tests.fakeforum.model import POSTS_PER_PAGE, Post, Subforum, Thread, User
from tests.fakeforum.nodes import Ctx, attr, escape, render

if TYPE_CHECKING:
    from tests.fakeforum.replica import Replica

NAV = ["Home", "Forum", "Calendar", "Streams", "Liquipedia", "Features", "Store", "TL+"]


@cache
def month_year(joined: str) -> str:
    """`2002-09` as `September 2002`."""
    return datetime.strptime(joined, "%Y-%m").strftime("%B %Y")


def profile_href(name: str) -> str:
    return f"/forum/profile.php?user={quote(name)}"


def page_href(thread: Thread, page: int) -> str:
    return thread.path if page == 1 else f"{thread.path}?page={page}"


# --- page chrome: the parts outside div#main-content, with their own forum links ---
def layout(replica: Replica, title: str, main: str) -> str:
    now = replica.now
    est = now - timedelta(hours=4)
    cest, kst = now + timedelta(hours=2), now + timedelta(hours=9)
    nav = "".join(f'<li><a href="/{n.lower()}/">{n}</a></li>' for n in NAV)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        f'<link rel="stylesheet" href="/css/main.css"></head>\n<body>\n'
        f'<div id="topbar"><a href="/mytlnet/login.php">Log In</a> <a href="/mytlnet/register.php">'
        f'Register</a></div>\n<div id="timebar">EDT {est:%H:%M} CEST {cest:%H:%M} KST {kst:%H:%M}'
        f'</div>\n<ul id="nav">{nav}</ul>\n{sidebar(replica)}\n'
        f'<div id="main-content">\n{main}\n</div>\n'
        f'<div id="footer">Advertising | Privacy Policy | Terms Of Use | Contact Us<br>'
        f"The contents of this webpage are copyright &copy; 2025 TLnet.</div>\n</body></html>\n"
    )


def sidebar(replica: Replica) -> str:
    """The forum sidebar: forum links with data-fid and a few thread links, outside main content."""
    blocks = []
    for forum in replica.subforums:
        links = " ".join(
            f'<a href="{t.path}">{escape(t.title)}</a>' for t in forum.threads[:3] if not t.sticky
        )
        blocks.append(
            f'<div class="sb-blck" data-fid="{forum.forum_id}"><div class="sbtitle">'
            f'<a href="{forum.path}">{escape(forum.name)}</a></div>{links}</div>'
        )
    title = '<a class="block_header" href="/forum/">Forum Sidebar</a>'
    return f'<div id="sidebar">{title}{"".join(blocks)}</div>'


# --- /forum/ ---
def forum_list(replica: Replica) -> str:
    rows = []
    for i, forum in enumerate(replica.subforums):
        link = f'<a href="{forum.path}">{escape(forum.name)}</a>'
        fid = f' data-fid="{forum.forum_id}"' if forum.show_fid else ""
        count = f"<td>{len(forum.threads)} threads</td>"
        if i % 2:
            rows.append(f'<tr><td><div class="forum-name"{fid}>{link}</div></td>{count}</tr>')
        else:
            rows.append(f'<tr class="forum-row"{fid}><td>{link}</td>{count}</tr>')
    table = f'<table class="solid forumlist">{"".join(rows)}</table>'
    return layout(replica, "Forum Index - TL.net", f'<h1 class="title">Forums</h1>{table}')


# --- /forum/<slug>/ ---
def index_rows(forum: Subforum, page: int) -> tuple[list[Thread], int] | None:
    """Threads on index page `page` (stickies first on page 1) and the page count; None: no page."""
    sticky = [t for t in forum.threads if t.sticky]
    regular = sorted(
        (t for t in forum.threads if not t.sticky), key=lambda t: -t.times[-1].timestamp()
    )
    pages = max(1, -(-len(regular) // 40))
    if not 1 <= page <= pages:
        return None
    rows = regular[(page - 1) * 40 : page * 40]
    return (sticky + rows if page == 1 else rows), pages


def forum_index(replica: Replica, forum: Subforum, page: int) -> str | None:
    found = index_rows(forum, page)
    if found is None:
        return None
    threads, pages = found
    cells = ["", "Topic", "Author", "Replies", "Views", "Last Post"]
    header = "<tr>" + "".join(f"<th>{c}</th>" for c in cells) + "</tr>"
    rows = "".join(_index_row(t) for t in threads)
    pager = "".join(
        f"<b>{n}</b>" if n == page else f'<a href="{forum.path}?currentpage={n}">{n}</a>'
        for n in range(1, pages + 1)
    )
    if page < pages:
        pager += f' <a href="{forum.path}?currentpage={page + 1}" title="Next Page">Next</a>'
    main = (
        f'<h1 class="title">{escape(forum.name)}</h1>'
        f'<div class="breadcrumbs"><a href="/forum/">Forum Index</a> &gt; '
        f"{escape(forum.name)}</div>"
        f'<table class="solid" width="100%">{header}{rows}</table>'
        f'<div class="pagination">{pager}</div>'
    )
    return layout(replica, f"{forum.name} - TL.net", main)


def _index_row(thread: Thread) -> str:
    if thread.sticky:
        icon = "Sticky"
    elif thread.locked:
        icon = "Locked"
    else:
        icon = "Hot" if thread.replies >= 50 else "Regular"
    topic = f'<a href="{thread.path}">{escape(thread.title)}</a>'
    if thread.sticky:
        topic = f"<b>Sticky:</b> {topic}"
    if thread.pages > 1:
        topic += f' <a class="lastPage" href="{thread.path}?page=last">&raquo;</a>'
    last = f"{thread.times[-1]:%H:%M %b %d %Y}<br>{escape(thread.authors[-1])}"
    return (
        f'<tr class="forumindex"><td><img src="/images/forum/{icon.lower()}.gif" alt="{icon}"></td>'
        f"<td>{topic}</td><td>{escape(thread.authors[0])}</td><td>{thread.replies}</td>"
        f"<td>{thread.views}</td><td>{last}</td></tr>"
    )


# --- thread pages ---
def pager(thread: Thread, page: int | None) -> str:
    """Numbered links with elision; `page` None is the ?view=all page."""
    if thread.pages == 1:
        return '<div class="pagination"></div>'
    current = page or 0
    shown = {1, 2, thread.pages - 1, thread.pages} | set(range(current - 2, current + 3))
    numbers = sorted(n for n in shown if 1 <= n <= thread.pages)
    parts, previous = [], 0
    for n in numbers:
        if n > previous + 1:
            parts.append("<span>…</span>")
        if n == current:
            parts.append(f"<b>{n}</b>" if thread.id % 2 else f'<span class="current">{n}</span>')
        else:
            parts.append(f'<a href="{page_href(thread, n)}">{n}</a>')
        previous = n
    if page and page > 1:
        href = page_href(thread, page - 1)
        parts.insert(0, f'<a href="{href}" title="Previous Page ({page - 1})">Prev</a>')
    if page and page < thread.pages:
        href = page_href(thread, page + 1)
        parts.append(f'<a href="{href}" title="Next Page ({page + 1})">Next</a>')
    all_link = (
        "<b>All</b>" if page is None else f'<a href="{thread.path}?view=all" rel="nofollow">All</a>'
    )
    return f'<div class="pagination">{" ".join(parts)} {all_link}</div>'


def thread_page(replica: Replica, thread: Thread, posts: list[Post], page: int | None) -> str:
    forum = replica.forum(thread.forum)
    dock = pager(thread, page)
    body = "\n".join(post_html(p, replica.users[p.author], replica.now) for p in posts)
    if replica.markup == "lost":
        body = lose_markup(body)
    reply = "This thread is locked." if thread.locked else "Please log in or register to reply."
    main = (
        f'<h1 class="title">{escape(thread.title)}</h1>\n'
        f'<div class="breadcrumbs"><a href="/forum/">Forum Index</a> &gt; '
        f'<a href="{forum.path}">{escape(forum.name)}</a></div>\n'
        f'<table class="thread" width="100%">'
        f'<tr class="thread_dock top"><td><div class="comments-bar"><span>{thread.replies} Comments'
        f'</span><a href="/forum/reply.php?topic_id={thread.id}">Post a Reply</a></div>'
        f"{dock}</td></tr>\n"
        f"<tr><td>\n{body}\n</td></tr>\n"
        f'<tr class="thread_dock bottom"><td>{dock}</td></tr></table>\n'
        f'<div class="reply-box">{reply}</div>'
    )
    return layout(replica, f"{thread.title} - TL.net", main)


# `--markup lost`: the post markup's class names as a redesign of the site might rename them.
LOST_CLASSES = {
    "forumPost": "msg-body", "fpost": "msg", "fpost-body": "msg-wrap",
    "fpost-username": "msg-author", "fpost-actions": "msg-tools", "fpost-actionable": "msg-tool",
    "fpost-userinfo": "msg-profile", "fpost-postinfo": "msg-meta", "fpost-edited": "msg-edited",
    "submessage": "msg-permalink", "tt-userinfo": "msg-fact", "fpost-share": "msg-share",
    "forumsig": "msg-signature", "usertitle": "msg-rank", "post-wrap": "msg-outer",
}  # fmt: skip
_CLASS = re.compile(r'class="([^"]*)"')


def lose_markup(posts_html: str) -> str:
    """The posts' HTML with the known class names renamed (content classes, e.g. quotes, stay)."""

    def rename(match: re.Match) -> str:
        names = (LOST_CLASSES.get(name, name) for name in match.group(1).split())
        return f'class="{" ".join(names)}"'

    return _CLASS.sub(rename, posts_html)


def post_html(post: Post, user: User, now: datetime) -> str:
    """One post: a section holding a table whose rows hold the header, the body and the footer."""
    if post.rendered is None:
        post.rendered = _post_html(post, user, now)
    return post.rendered


def _post_html(post: Post, user: User, now: datetime) -> str:
    v = post.variant
    head = header_html(post, user, now)
    article_attrs = ' class="forumPost"' if v & 1 else f' id="post_{post.id}" class="forumPost"'
    article = f"<article{article_attrs}><section>{post.html()}</section></article>"
    if v & 2:
        article = f'<div class="fpost-body"><div>{article}</div></div>'
    foot = footer_html(post, user)
    team = f' style="background-image:url(/images/starcraft/teams/{v % 40}.png)"' if v & 8 else ""
    if v % 3 == 0:
        rows = f"<tr><td{team}>{head}</td></tr><tr><td>{article}</td></tr><tr><td>{foot}</td></tr>"
    elif v % 3 == 1:
        rows = f"<tr><td{team}>{head}</td></tr><tr><td>{article}{foot}</td></tr>"
    else:
        rows = f"<tr><td{team}><div>{head}</div></td></tr><tr><td>{article}\n{foot}</td></tr>"
        rows = f"<tbody>{rows}</tbody>"
    section = f'<section class="fpost"><table width="100%" cellspacing="0">{rows}</table></section>'
    return f'<div class="post-wrap">{section}</div>' if v & 4 else section


def header_html(post: Post, user: User, now: datetime) -> str:
    v, name = post.variant, escape(user.name)
    username = (
        f"<span>{name}</span>"
        if v & 16
        else f'<a href="{profile_href(user.name)}"><span>{name}</span></a>'
    )
    actions = [f'<a class="fpost-actionable" href="{attr(profile_href(user.name))}">Profile</a>']
    if user.pm:
        actions.append(
            f'<a href="/mytlnet/pm.php?to={quote(user.name)}" class="fpost-actionable">PM</a>'
        )
    if user.blog:
        actions.append(f'<a class="fpost-actionable" href="/blogs/{quote(user.name)}">Blog</a>')
    joined = f'<span class="tt-userinfo">Joined {month_year(user.joined)}</span>'
    tooltip = f'<aside class="tooltip">{joined}</aside>'
    info = []
    if user.country:
        country, code = user.country
        flag = f'<img src="/images/flags2/{code}.png" alt="{code}">'
        info.append(f'<span class="tt-userinfo">{flag} {escape(country)}</span>')
    info.append(f'<span class="tt-userinfo">{user.post_count} Posts</span>')
    plus = ' class="plus1"' if post.tl_plus else ""
    return (
        f'<header{plus}><div class="fpost-username">{username}</div>'
        f'<div class="fpost-actions">{" ".join(actions)} {tooltip}</div>'
        f'<div class="fpost-userinfo">{"".join(info)}</div>'
        f'<div class="fpost-postinfo">{edited_html(post)}{time_html(post, now)} '
        f"{number_html(post)}</div>"
        f"</header>"
    )


def edited_html(post: Post) -> str:
    if not post.edited_at:
        return ""
    text = f"Last Edited: {post.edited_at:%Y-%m-%d %H:%M:%S}"
    if post.variant & 32:
        return f'<div style="font-size:8pt">{text}</div>'
    return f'<span class="fpost-edited">{text}</span> '


def time_html(post: Post, now: datetime) -> str:
    """Posts younger than a day at the replica's clock show their age ("N hours ago")."""
    absolute = f"{post.posted_at:%B %d %Y %H:%M} GMT"
    href = f"/forum/viewpost.php?post_id={post.id}"
    age = now - post.posted_at
    if age < timedelta(hours=1):
        ago = f"{age.seconds // 60} minutes ago"
        return f'<a class="submessage" href="{href}" title="{absolute}">{ago}</a>'
    if age < timedelta(days=1):
        ago = f"{age.seconds // 3600} hours ago"
        return f'<a href="{href}" title="{absolute}" class="submessage">{ago}</a>'
    if post.variant & 64:
        return f'<a href="{href}" class="submessage">{absolute}</a>'
    return f'<a class="submessage" href="{href}">{absolute}</a>'


def number_html(post: Post) -> str:
    n = post.number
    return (
        f'<a name="{n}" href="#{n}">#{n}</a>'
        if post.variant & 128
        else f'<a href="#{n}" name="{n}">#{n}</a>'
    )


def footer_html(post: Post, user: User) -> str:
    parts = []
    if post.number == 1:
        share = ("Facebook", "Twitter", "Reddit")
        parts.append(
            '<div class="fpost-share">' + " ".join(f'<a href="#">{s}</a>' for s in share) + "</div>"
        )
    if user.title:
        parts.append(f'<span class="usertitle">{escape(user.title)}</span>')
    if user.signature:
        parts.append(
            f'<div class="forumsig">{render(user.signature, Ctx(style=post.variant % 2))}</div>'
        )
    return f"<footer>{''.join(parts)}</footer>" if parts else ""


def profile_page(replica: Replica, user: User) -> str:
    country = escape(user.country[0]) if user.country else "-"
    joined = month_year(user.joined)
    main = (
        f'<h1 class="title">Profile: {escape(user.name)}</h1><table class="profile">'
        f"<tr><td>Country:</td><td>{country}</td></tr>"
        f"<tr><td>Posts:</td><td>{user.post_count}</td></tr>"
        f"<tr><td>Joined:</td><td>{joined}</td></tr></table>"
    )
    return layout(replica, f"{user.name} - TL.net", main)


def error_page(replica: Replica, status: int, message: str) -> str:
    return layout(
        replica, f"{status} - TL.net", f'<h1 class="title">{status}</h1><p>{escape(message)}</p>'
    )


def posts_on_page(posts: list[Post], page: int) -> list[Post]:
    return posts[(page - 1) * POSTS_PER_PAGE : page * POSTS_PER_PAGE]
