"""The `threads` spider's arguments are checked when the spider is made, before any request."""

from __future__ import annotations

import pytest

from tlcrawl.spiders.arguments import (
    SpiderArgumentError,
    check_spider_arguments,
    unknown_forums_message,
)
from tlcrawl.spiders.threads import ThreadsSpider


def refusal(**arguments) -> str:
    with pytest.raises(SpiderArgumentError) as refused:
        ThreadsSpider(**arguments)
    return str(refused.value)


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("thread", "thread_url"), ("forum", "forums"), ("maxthreads", "max_threads"),
     ("base", "base_url"), ("incremantal", "incremental")],
)  # fmt: skip
def test_a_misspelled_argument_names_the_closest_valid_one(typo, meant):
    message = refusal(**{typo: "1"})
    assert message.startswith(f"unknown argument -a {typo}=; did you mean -a {meant}=?")


def test_an_unknown_argument_far_from_any_lists_them_all():
    message = refusal(colour="blue")
    assert "did you mean" not in message
    assert message.startswith(
        "unknown argument -a colour=; the arguments are: base_url, forums, thread_url, "
        "max_threads, max_index_pages, incremental, "
    )
    assert message.endswith(", render")


def test_scrapyd_job_arguments_are_accepted():
    spider = ThreadsSpider(_job="0123abcd", forums="games")
    assert spider.forum_filter == {"games"}


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ({"base_url": "notaurl"}, "-a base_url= takes the site's address"),
        ({"base_url": "ftp://tl.net"}, "-a base_url= takes the site's address"),
        ({"thread_url": "notathread"}, "-a thread_url= takes a thread or post address"),
        ({"thread_url": "https://tl.net/forum/games/"}, "-a thread_url= takes a thread"),
        ({"max_threads": "abc"}, "-a max_threads= takes a whole number, got 'abc'"),
        ({"max_index_pages": "0"}, "-a max_index_pages= must be at least 1, got 0"),
        ({"incremental": "perhaps"}, "-a incremental= takes 1 or 0, got 'perhaps'"),
        ({"forums": "Games!"}, "-a forums= takes comma-separated subforum slugs"),
        ({"forums": ","}, "-a forums= takes comma-separated subforum slugs"),
        ({"render": "sometimes"}, "-a render= takes auto, always, never; got 'sometimes'"),
    ],
)
def test_bad_values_say_what_to_give(arguments, says):
    assert refusal(**arguments).startswith(says)


def test_good_arguments_make_a_spider():
    spider = ThreadsSpider(
        base_url="http://127.0.0.1:8000/",
        forums="games,brood-war",
        thread_url="http://127.0.0.1:8000/forum/viewpost.php?post_id=27790001",
        max_threads="3",
        max_index_pages="2",
        incremental="0",
        render="never",
    )
    assert spider.max_threads == 3
    assert spider.incremental is False


def test_unknown_forums_are_listed_with_the_valid_ones():
    message = unknown_forums_message({"gmaes", "nope"}, ["starcraft-2", "games", "brood-war"])
    assert message == (
        "-a forums=: no subforum 'gmaes' (did you mean 'games'?), 'nope' on the forum list; "
        "the subforums are: brood-war,games,starcraft-2"
    )


def test_the_valid_names_and_checks_follow_the_spiders_parameters():
    # What the spider's locals() hold on entry to __init__: a parameter added later (recheck_days)
    # is valid and checked, without a list to keep up to date.
    given = {"self": None, "forums": None, "recheck_days": "-1", "kwargs": {}}
    with pytest.raises(SpiderArgumentError, match=r"^-a recheck_days= must be at least 0, got -1"):
        check_spider_arguments(given, extra={})
    check_spider_arguments({**given, "recheck_days": "0"}, extra={})
    with pytest.raises(SpiderArgumentError, match=r"did you mean -a recheck_days=\?"):
        check_spider_arguments({**given, "recheck_days": None}, extra={"recheck": "3"})
