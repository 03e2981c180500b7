"""Opening the MongoDB client, and showing its URI without its secrets."""

from __future__ import annotations

import re
from urllib.parse import unquote

from pymongo import MongoClient

MASK = "****"
# URI options that carry secrets (mongodb://host/?authMechanismProperties=... carries none).
_SECRET_OPTION = re.compile(
    r"(?P<name>(?:^|&)(?:password|tlsCertificateKeyFilePassword|sslPEMKeyPassword)=)(?P<value>[^&]*)",
    re.IGNORECASE,
)
_SERVER_SELECTION = re.compile(r"(?:^|&)serverSelectionTimeoutMS=", re.IGNORECASE)


def _split(uri: str) -> tuple[str, str | None, str, str]:
    """(scheme://, password or None, the rest before `?`, the query) of a MongoDB URI."""
    scheme, sep, rest = uri.partition("://")
    head, _, query = rest.partition("?")
    if not sep or "@" not in head:
        return (scheme + sep, None, head, query) if sep else ("", None, uri, "")
    # The last `@` ends the user info, so a password with a raw `@` or `/` is still all masked.
    userinfo, _, hosts = head.rpartition("@")
    user, colon, password = userinfo.partition(":")
    return scheme + sep, (password if colon else None), f"{user}@{hosts}", query


def mask_uri(uri: str) -> str:
    """The URI with its password and secret options replaced by `****`, safe to log."""
    prefix, password, head, query = _split(uri)
    if password is not None:
        user, _, hosts = head.partition("@")
        head = f"{user}:{MASK}@{hosts}"
    query = _SECRET_OPTION.sub(lambda m: m["name"] + MASK, query)
    return prefix + head + (f"?{query}" if query else "")


def uri_secrets(uri: str) -> set[str]:
    """The secrets in a URI, raw and percent-decoded, to scrub from error messages."""
    _, password, _, query = _split(uri)
    found = {password} if password else set()
    found |= {m["value"] for m in _SECRET_OPTION.finditer(query) if m["value"]}
    return found | {unquote(secret) for secret in found}


def server_wait(client: MongoClient, uri: str, limit: float) -> float:
    """Seconds to wait for the server under pymongo.timeout(), which overrides the URI's own
    serverSelectionTimeoutMS: `limit`, or that option when the URI sets a shorter one (pymongo's
    default of 30 s, when the URI sets none, does not cut `limit`)."""
    if not _SERVER_SELECTION.search(_split(uri)[3]):
        return limit
    return min(limit, client.options.server_selection_timeout)


def open_client(uri: str, **options) -> MongoClient:
    # tz_aware: stored dates come back as aware UTC datetimes, like the items that wrote them.
    return MongoClient(uri, tz_aware=True, **options)
