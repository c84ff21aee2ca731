# Two commands for a newcomer: `make demo` and `make test`. Both set up everything they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test faults lint format up services bench clean train-ner

$(STAMP): pyproject.toml requirements.lock requirements-dev.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

services:
	@bash scripts/ensure-services.sh

demo: install
	$(PY) manage.py demo

up: install
	$(PY) manage.py up

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install services lint
	$(PY) -m pytest -q $(PYTEST_ARGS)

BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed-stamp

# Benchmarks run in their own venv: the peers they compare against (news-please) pull in
# packages that would change the test venv's behaviour.
$(BENCH_STAMP): pyproject.toml requirements.lock requirements-dev.lock
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install -q -r requirements-dev.lock
	$(BENCH_VENV)/bin/python -m pip install -q -e '.[bench]'
	touch $(BENCH_STAMP)

faults: install services
	$(PY) -m pytest -q -s tests/faults

bench: $(BENCH_STAMP) services
	$(BENCH_VENV)/bin/python bench/extraction.py
	$(BENCH_VENV)/bin/python bench/entities.py
	$(BENCH_VENV)/bin/python bench/e2e.py
	$(BENCH_VENV)/bin/python bench/fetch.py
	$(BENCH_VENV)/bin/python bench/warc.py

# Retrain the enricher's CRFs from ../shared/dev-data/ner (a few CPU-minutes; docs/enrichment.md)
train-ner: install
	nice -n 10 $(PY) -m services.enricher.training.train

clean:
	rm -rf $(VENV) $(BENCH_VENV) .data .pytest_cache .ruff_cache
