# Everything a fresh Debian machine (as root) needs, idempotent: re-running a target on a ready
# machine takes seconds. The two commands a user needs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
MONGO_VENV := .venv-mongo
BIN := $(VENV)/bin
APT_PACKAGES := chromium-headless-shell fonts-liberation graphviz curl wget
CHROMIUM := /usr/lib/chromium/chromium-headless-shell

.PHONY: setup system-deps python-venv-support venv mongo-env demo db test lint format clean bench

setup: system-deps venv mongo-env

# Debian packages: the browser for scrapy-playwright (never `playwright install`: it downloads),
# graphviz for `tlcrawl graph`, curl for deploy/README.md's Scrapyd API examples, wget for the
# WARC tests (a WARC written by another tool).
system-deps: $(CHROMIUM) /usr/bin/dot /usr/bin/curl /usr/bin/wget python-venv-support
$(CHROMIUM) /usr/bin/dot /usr/bin/curl /usr/bin/wget:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES)

# Debian's own python3.11 keeps venv support in a separate package (pyenv's Python has it built in).
python-venv-support:
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3.11-venv; }

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml | python-venv-support
	test -x $(BIN)/pip || $(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

mongo-env: $(MONGO_VENV)/.installed
$(MONGO_VENV)/.installed: requirements-mongo.txt | python-venv-support
	test -x $(MONGO_VENV)/bin/pip || $(PYTHON) -m venv --clear $(MONGO_VENV)
	$(MONGO_VENV)/bin/pip install -q --disable-pip-version-check -r requirements-mongo.txt
	touch $@

demo: setup
	$(BIN)/python -m tests.demo

test: setup lint
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Every benchmark (bench/bench_*.py with a run()), one table of figures and ratios measured side by
# side, also written to data/bench/latest.json; fails when a declared target is missed.
bench: setup
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) $(MONGO_VENV) data .pytest_cache .ruff_cache build dist *.egg-info

# Serve the demo's MongoDB data (data/mongo) on 127.0.0.1:27017 for `tlcrawl` queries (Ctrl-C stops).
db: mongo-env
	$(MONGO_VENV)/bin/secantusd-py --host 127.0.0.1 --port 27017 --storage-path data/mongo

# --- Scrapyd ---------------------------------------------------------------------------------
# Thin wrappers around deploy/scrapyd_ctl.py (see deploy/README.md). Connection settings come from
# the environment: SCRAPYD_URL (default http://127.0.0.1:6800), SCRAPYD_USERNAME, SCRAPYD_PASSWORD.
#   make scrapyd-start                      # local Scrapyd from .venv, loopback, run dir var/scrapyd/
#   make scrapyd-deploy [VERSION=<integer>] # build + check + upload the egg; fails on any non-ok answer
#   make scrapyd-schedule [SPIDER=threads] ARGS="-d base_url=https://tl.net -d forums=games"
#   make scrapyd-follow JOB=<job id>        # progress lines; exit with the crawl's own exit status
#   make scrapyd-refresh [ARGS="-d forums=games"]  # incremental crawl unless one is pending/running
SCRAPYD_CTL := $(BIN)/python deploy/scrapyd_ctl.py
SPIDER ?= threads

.PHONY: scrapyd-start scrapyd-stop scrapyd-deploy scrapyd-schedule scrapyd-follow scrapyd-refresh

scrapyd-start: venv
	$(SCRAPYD_CTL) start

scrapyd-stop:
	$(SCRAPYD_CTL) stop

scrapyd-deploy: venv
	$(SCRAPYD_CTL) deploy $(if $(VERSION),--version $(VERSION))

scrapyd-schedule: venv
	$(SCRAPYD_CTL) schedule $(SPIDER) $(ARGS)

scrapyd-refresh: venv
	$(SCRAPYD_CTL) refresh $(SPIDER) $(ARGS)

scrapyd-follow: venv
	@test -n "$(JOB)" || { echo "usage: make scrapyd-follow JOB=<job id>" >&2; exit 2; }
	$(SCRAPYD_CTL) follow $(JOB)
# --- end Scrapyd -----------------------------------------------------------------------------
