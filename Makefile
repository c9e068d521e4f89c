# Samdrift: the two commands a newcomer needs are `make run` and `make test`.
# Only Python 3.12+ and make are assumed; everything else is installed into .venv from uv.lock.

SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export DJANGO_SETTINGS_MODULE := samdrift.settings
# Python keeps the bytecode of what it imports (__pycache__), whatever the caller's environment
# says: with PYTHONDONTWRITEBYTECODE set (as on our CI machines) every Django process compiled its
# ~2,400 modules from source again, 7.5 s instead of 2.3 s for `manage.py check`, paid by each test
# worker and by every server, worker and command the tests start.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help run test lint fmt venv migrate demo worker scheduler messages bench-people clean system-deps

help:
	@echo "make run    set up and serve Samdrift on http://127.0.0.1:8000 (demo data on first run)"
	@echo "make test   set up and run the test suite (SQLite; PostgreSQL when DATABASE_URL is set)"
	@echo "make lint   ruff, mypy and makemigrations --check"

# The virtual environment is rebuilt only when the lockfile changes.
$(VENV)/.synced: uv.lock pyproject.toml scripts/find-python.sh
	@PYTHON=$$(bash scripts/find-python.sh) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
		echo "Creating $(VENV) with $$PYTHON"; rm -rf $(VENV); "$$PYTHON" -m venv $(VENV) || exit 1; \
	fi
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	@$(VENV)/bin/uv sync --locked --quiet --python $(PY)
	@touch $@

venv: $(VENV)/.synced

migrate: venv
	@mkdir -p var
	@$(PY) manage.py migrate --noinput -v 0

run: migrate
	@$(PY) manage.py demo --if-empty -v 0
	@$(PY) manage.py run_all --port 8000

# The Debian packages the real-part tests drive (Chromium, dovecot, the inventory agent, pango):
# installed when missing (as root or through sudo), otherwise the script says what to install.
system-deps:
	@bash scripts/system-deps.sh
	@bash scripts/install-axe.sh >/dev/null

# `make test` runs every test on both cores with a coverage floor. `--dist worksteal`: xdist's
# default hands each worker a fixed share of the tests, and one worker finished 27-30 s after the
# other; a worker that runs out now takes half of what the other has left. On PostgreSQL the
# migrated test database is kept between local runs (SQLite's lives in memory); TEST_DB=--create-db
# builds it afresh, as CI does.
TEST_DB ?= --reuse-db
# Measured on 6 December 2026: 93 % of statements on both SQLite and PostgreSQL (coverage report on
# CI's data files). The floor sits just under it so that a change which drops tests or adds untested
# code fails; raise it as coverage grows. (A subset run: call pytest directly, not `make test`.)
COVERAGE_FLOOR := 90
test: venv system-deps
	@$(PY) -m pytest -n auto --dist worksteal $(TEST_DB) --cov --cov-report= --cov-fail-under=$(COVERAGE_FLOOR) $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy samdrift
	$(PY) manage.py makemigrations --check --dry-run

fmt: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

worker: migrate
	$(PY) manage.py worker

messages: venv
	cd samdrift && ../$(PY) ../manage.py makemessages -l sv -l en --no-location && ../$(PY) ../manage.py compilemessages

bench-people: venv
	$(PY) bench/people_list.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
