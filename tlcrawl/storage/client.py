"""Opening the MongoDB client, and showing its URI without the password."""

from __future__ import annotations

import re

from pymongo import MongoClient

_PASSWORD = re.compile(r"^(mongodb(?:\+srv)?://[^:@/]*:)[^/]*@")


def mask_uri(uri: str) -> str:
    """The URI with its password replaced by `***`, safe to log."""
    return _PASSWORD.sub(r"\1***@", uri)


def open_client(uri: str) -> MongoClient:
    # tz_aware: stored dates come back as aware UTC datetimes, like the items that wrote them.
    return MongoClient(uri, tz_aware=True)
