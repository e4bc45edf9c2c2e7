# Detente: the two commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DETENTE_DATA_DIR ?= $(CURDIR)/var
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-test install-bench lint pytest migrate demo serve bench lock clean chromium pango

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files make re-installs happen only when a lock file changes.
$(VENV)/.base-installed: requirements/base.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/base.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.test-installed: requirements/test.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/test.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.base-installed

install: $(VENV)/.base-installed pango
install-test: $(VENV)/.test-installed pango

# WeasyPrint (the agreement briefing as a PDF) lays text out with Debian's Pango.
pango:
	@ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0.so.0 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
	  else \
	    echo "The PDF briefing needs Pango: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0"; exit 1; \
	  fi; }

migrate: install
	$(BIN)/detente migrate --no-input

demo: migrate
	$(BIN)/detente demo

# The server and, beside it, the background worker (`--worker`): confirmation emails and
# the digests that fall due are printed to this console. Production runs the worker as its
# own service (docs/mailing.md).
run: demo
	$(BIN)/detente serve --worker --host $(HOST) --port $(PORT)

lint: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/detente makemigrations --check --dry-run

# The browser tests drive Debian's Chromium (Playwright downloads no browser here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Chromium: sudo apt-get install chromium"; exit 1; \
	  fi; }

# One BLAS thread: the estimation matrices are small, and threads fighting for two shared
# cores made model fits 10-20x slower.
pytest: install-test chromium
	OPENBLAS_NUM_THREADS=1 $(BIN)/pytest

test: lint pytest

# The bench extra adds the reference linkage tools (Splink, recordlinkage) beside ours.
$(VENV)/.bench-installed: requirements/bench.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/bench.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.base-installed $(VENV)/.test-installed

install-bench: $(VENV)/.bench-installed

bench: install-bench
	$(BIN)/python bench/run.py
	OPENBLAS_NUM_THREADS=1 $(BIN)/python bench/estimation.py

# Regenerate the pinned lock files (needs uv on PATH); commit the result.
lock:
	uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -q -o requirements/base.txt
	uv pip compile pyproject.toml --extra test --python-version 3.11 --generate-hashes -q -o requirements/test.txt
	uv pip compile pyproject.toml --extra test --extra bench --python-version 3.11 --generate-hashes -q -o requirements/bench.txt

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
