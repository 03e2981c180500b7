#!/bin/sh
# Schedule one tlcrawl crawl on Scrapyd with curl; extra arguments go to curl, e.g.
#   tlcrawl-schedule.sh -d forums=games -d setting=CLOSESPIDER_TIMEOUT=3600
# Exits non-zero unless Scrapyd answers "ok" (it reports most errors with HTTP 200).
# Environment: SCRAPYD_URL, SCRAPYD_USERNAME, SCRAPYD_PASSWORD, optional TLCRAWL_SPIDER (threads).
set -eu
: "${SCRAPYD_URL:=http://127.0.0.1:6800}"
# The credentials go to curl on stdin (--config -), never on a command line (visible in ps); curl's
# config syntax needs `\` and `"` escaped inside the quoted value.
quote() { printf '%s' "$1" | sed 's/[\\"]/\\&/g'; }
answer=$(printf 'user = "%s:%s"\n' "$(quote "$SCRAPYD_USERNAME")" "$(quote "$SCRAPYD_PASSWORD")" |
    curl --silent --show-error --fail --max-time 120 --config - "$SCRAPYD_URL/schedule.json" \
        -d project=tlcrawl -d "spider=${TLCRAWL_SPIDER:-threads}" "$@")
echo "$answer"
case $answer in
    *'"status": "ok"'*) ;;
    *) exit 1 ;;
esac
