PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint conformance bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first, pinned: its CPU build is on disk; letting pip pick one pulls GBs of CUDA
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/es360 demo

lint: $(STAMP)
	$(BIN)/ruff check es360 tests benchmarks

test: $(STAMP) lint
	$(BIN)/pytest -q -p no:cacheprovider

conformance: $(STAMP)
	$(BIN)/python -m tests.conformance.runner --report

bench: $(STAMP)
	$(BIN)/python benchmarks/engine_bench.py

clean:
	rm -rf $(VENV) .pytest_cache build dist
