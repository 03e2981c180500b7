"""Packaging for Scrapyd: `scrapyd-deploy` runs `python setup.py bdist_egg` on this file.

Committed on purpose: without it scrapyd-deploy writes its own setup.py, whose `find_packages()`
also packs `tests/` (and the replica forum) into the egg. Project metadata and dependencies live in
pyproject.toml; this file only states what goes into the egg and the `scrapy` entry point that tells
Scrapyd which settings module to use.
"""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["tlcrawl", "tlcrawl.*"]),
    entry_points={"scrapy": ["settings = tlcrawl.settings"]},
)
