PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
INDEX_DIR ?= var/index
CHROMIUM := /usr/bin/chromium
# Playwright drives the system's Debian chromium; it must never download browsers of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: install browser test test-fast lint types bench bench-scale index serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The browser tests' chromium, from Debian, where it is missing (a fresh machine, CI): as root,
# or through sudo. Nothing happens when it is installed.
$(CHROMIUM):
	@SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends chromium \
	|| { $$SUDO apt-get update && \
	     DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends chromium; }

browser: $(CHROMIUM)

# Everything, as CI runs it.
test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q

# The edit-test loop: no servers, kills or whole-corpus builds (tests marked slow).
test-fast: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .

types: $(STAMP)
	$(BIN)/mypy

index: $(STAMP)
	$(BIN)/searchsvc-index rebuild --corpus corpus --index-dir $(INDEX_DIR)

$(INDEX_DIR)/CURRENT: | $(STAMP)
	$(BIN)/searchsvc-index rebuild --corpus corpus --index-dir $(INDEX_DIR)

serve: $(STAMP) $(INDEX_DIR)/CURRENT
	SEARCHSVC_INDEX_DIR=$(INDEX_DIR) $(BIN)/gunicorn -c gunicorn.conf.py

bench: $(STAMP)
	$(BIN)/python -m benchmarks.bench_index
	$(BIN)/python -m benchmarks.relevance
	$(BIN)/python -m benchmarks.devset
	$(BIN)/python -m benchmarks.bench_search
	$(BIN)/python -m benchmarks.bench_update
	$(BIN)/python -m benchmarks.bench_spelling
	$(BIN)/python -m benchmarks.compounds
	$(BIN)/python -m benchmarks.bench_widget
	$(BIN)/python -m benchmarks.bench_export
	$(BIN)/python -m benchmarks.bench_related

# How cost grows with the record count (benchmarks/bench_scale.py): scale corpora of SIZES
# records (cached in var/scale/), rebuilt, updated and served; figures and plot in
# benchmarks/results/. The plot needs matplotlib, the `bench` extra, installed here.
SIZES ?= 32793 100000
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

bench-scale: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.bench_scale $(SIZES)

clean:
	rm -rf var .pytest_cache
