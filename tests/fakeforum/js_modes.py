"""Two JavaScript modes of the replica; the truth stays the same in both.

`--js-challenge`: like Cloudflare's "Just a moment..." page. A request without a valid clearance
cookie gets a small page (status 503, header `cf-mitigated: challenge`) whose script solves a hash
puzzle on a nonce in the page, stores the answer in the cookie `tl_clearance` and reloads. Plain
HTTP clients never see content. robots.txt is served without a challenge.

`--js-render`: thread pages ship their posts as data (`<script type="application/json"
id="posts-data">`) and an inline script builds the same post markup in the DOM; the static HTML has
no `article.forumPost`.

The server stays in charge of routing; its hook is two calls:

    modes = JsModes(challenge=args.js_challenge, render=args.js_render)
    reply = modes.challenge(path, cookie_header)      # before routing: a Reply, or None to go on
    body = modes.transform(path, content_type, body)  # after: the page as the browser gets it
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie

import lxml.html

CLEARANCE_COOKIE = "tl_clearance"
# Rounds of the puzzle: a few milliseconds in a browser, and in Python on first sight of a token.
PUZZLE_ROUNDS = 2000
# Paths served without a challenge (as Cloudflare does for robots.txt).
UNCHALLENGED = ("/robots.txt",)
POSTS_DATA_ID = "posts-data"
# The elements of a post, replaced by empty slots and rebuilt by the script in `--js-render`.
POST_PARTS = (
    "//header | //article[contains(concat(' ', normalize-space(@class), ' '), ' forumPost ')]"
)
SIGNATURES = "//footer[.//div[contains(concat(' ', normalize-space(@class), ' '), ' forumsig ')]]"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The two options for `python -m tests.fakeforum serve`."""
    parser.add_argument(
        "--js-challenge",
        action="store_true",
        help="answer requests without a clearance cookie with a JavaScript challenge page",
    )
    parser.add_argument(
        "--js-render",
        action="store_true",
        help="thread pages build their posts with JavaScript from JSON in the page",
    )


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def puzzle_answer(nonce: str, rounds: int = PUZZLE_ROUNDS) -> str:
    """32-bit FNV-1a of the nonce, then of its own hex digest, `rounds` times (as the JS does)."""
    text = nonce
    for _ in range(rounds):
        value = 0x811C9DC5
        for char in text:
            value ^= ord(char)
            value = (value * 0x01000193) & 0xFFFFFFFF
        text = f"{value:08x}"
    return text


_CHALLENGE_SCRIPT = """
(function () {
  var box = document.getElementById("challenge-form");
  var nonce = box.getAttribute("data-nonce"), text = nonce;
  for (var round = 0; round < %(rounds)d; round++) {
    var value = 0x811c9dc5;
    for (var i = 0; i < text.length; i++) {
      value = Math.imul(value ^ text.charCodeAt(i), 0x01000193) >>> 0;
    }
    text = ("0000000" + value.toString(16)).slice(-8);
  }
  var token = nonce + "." + box.getAttribute("data-sig") + "." + text;
  document.cookie = "%(cookie)s=" + token + "; path=/; max-age=3600; SameSite=Lax";
  window.setTimeout(function () { window.location.reload(); }, 10);
})();
"""

_CHALLENGE_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Just a moment...</title>
<meta name="robots" content="noindex,nofollow"></head>
<body><div class="main-wrapper"><h1>tl.net</h1>
<h2 id="challenge-running">Checking if the site connection is secure</h2>
<div id="challenge-form" data-nonce="%(nonce)s" data-sig="%(sig)s"></div>
<noscript><p>Enable JavaScript and cookies to continue</p></noscript>
</div><script>%(script)s</script></body></html>
"""

_RENDER_SCRIPT = """
(function () {
  var parts = JSON.parse(document.getElementById("%(data_id)s").textContent);
  document.querySelectorAll("[data-post-slot]").forEach(function (slot) {
    slot.outerHTML = parts[Number(slot.getAttribute("data-post-slot"))];
  });
})();
"""


class JsModes:
    """The replica's JavaScript modes; both off by default (then both hooks do nothing)."""

    def __init__(self, challenge: bool = False, render: bool = False, secret: bytes | None = None):
        self.challenge_enabled = challenge
        self.render_enabled = render
        self.secret = secret or secrets.token_bytes(16)
        self._good_tokens: set[str] = set()  # solved tokens already checked (the puzzle is slow)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> JsModes:
        return cls(challenge=args.js_challenge, render=args.js_render)

    # --- challenge ---------------------------------------------------------------------------

    def challenge(self, path: str, cookie_header: str | None) -> Reply | None:
        """A challenge page for a request without a valid clearance cookie; None to serve it."""
        if not self.challenge_enabled or path.split("?")[0] in UNCHALLENGED:
            return None
        if self.token_ok(_cookie(cookie_header, CLEARANCE_COOKIE)):
            return None
        return self.challenge_page()

    def challenge_page(self) -> Reply:
        nonce = secrets.token_hex(8)
        script = _CHALLENGE_SCRIPT % {"rounds": PUZZLE_ROUNDS, "cookie": CLEARANCE_COOKIE}
        body = _CHALLENGE_PAGE % {"nonce": nonce, "sig": self._sign(nonce), "script": script}
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Cache-Control", "private, no-store"),
            ("cf-mitigated", "challenge"),
        ]
        return Reply(503, headers, body.encode())

    def token_ok(self, token: str | None) -> bool:
        if not token:
            return False
        if token in self._good_tokens:
            return True
        nonce, _, rest = token.partition(".")
        sig, _, answer = rest.partition(".")
        good = hmac.compare_digest(sig, self._sign(nonce)) and answer == puzzle_answer(nonce)
        if good:
            self._good_tokens.add(token)
        return good

    def _sign(self, nonce: str) -> str:
        return hmac.new(self.secret, nonce.encode(), hashlib.sha256).hexdigest()[:16]

    # --- rendering ---------------------------------------------------------------------------

    def transform(self, path: str, content_type: str, body: bytes | str) -> bytes | str:
        """The page as served: in `--js-render`, a thread page's posts move into JSON."""
        if not self.render_enabled or "html" not in content_type:
            return body
        text = body.decode() if isinstance(body, bytes) else body
        if "forumPost" not in text:  # not a thread page (or one without posts)
            return body
        rendered = posts_built_by_script(text)
        return rendered.encode() if isinstance(body, bytes) else rendered


def posts_built_by_script(html: str) -> str:
    """Move every post header, body and signature into a JSON list; a script puts them back.

    Each part is replaced by an empty `<div data-post-slot="N">` at the same place, so the page the
    browser builds has the same elements in the same document order as the static page.
    """
    root = lxml.html.document_fromstring(html)
    parts: list[str] = []
    for element in root.xpath(f"{POST_PARTS} | {SIGNATURES}"):
        if element.getroottree().getroot() is not root:
            continue  # inside a part already moved (its container went into the data as a whole)
        slot = lxml.html.Element("div")
        slot.set("data-post-slot", str(len(parts)))
        slot.tail = element.tail
        element.tail = None
        parts.append(lxml.html.tostring(element, encoding="unicode"))
        element.getparent().replace(element, slot)
    data = lxml.html.Element("script", type="application/json", id=POSTS_DATA_ID)
    # `<\/` keeps a `</script>` inside a post from closing the data block.
    data.text = json.dumps(parts, ensure_ascii=False).replace("</", "<\\/")
    builder = lxml.html.Element("script")
    builder.text = _RENDER_SCRIPT % {"data_id": POSTS_DATA_ID}
    body = root.find("body")
    body.append(data)
    body.append(builder)
    return "<!DOCTYPE html>\n" + lxml.html.tostring(root, encoding="unicode")


def _cookie(header: str | None, name: str) -> str | None:
    if not header:
        return None
    jar = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None
