# Two entry points for a fresh machine: `make demo` and `make test`. Each builds what it needs.
VENV    ?= .venv
ifeq ($(OS),Windows_NT)
BIN     := $(VENV)/Scripts
PYTHON3 ?= python
else
BIN     := $(VENV)/bin
PYTHON3 ?= python3
endif
PY      := $(BIN)/python
DEPS    := $(VENV)/.deps-stamp
BUILT   := $(VENV)/.built-stamp
SOURCES := $(shell find src crates python -name '*.rs' -o -name '*.toml' 2>/dev/null) Cargo.toml Cargo.lock pyproject.toml

.PHONY: demo test lint lint-rust lint-python lint-ruff lint-types test-rust test-python build bench clean fmt

demo: $(BUILT)
	$(PY) examples/quickstart.py

test: lint test-rust test-python

$(PY):
	$(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(DEPS): requirements-dev.txt | $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

# Debug build: compiles fast, and the suite asserts behaviour, not speed (benchmarks use release).
$(BUILT): $(DEPS) $(SOURCES)
	rm -f python/tela_sdk/_native*.so python/tela_sdk/_native*.pyd
	$(BIN)/maturin develop -q
	touch $@

build: $(BUILT)

lint: lint-rust lint-python

lint-rust:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

lint-python: lint-ruff lint-types

lint-ruff: $(DEPS)
	$(BIN)/ruff check python tests examples benchmarks
	$(BIN)/ruff format --check python tests examples benchmarks

lint-types: $(BUILT)
	$(BIN)/mypy
	$(PY) -m mypy.stubtest tela_sdk._native --allowlist stubtest-allowlist.txt

test-rust:
	cargo test --workspace --exclude tela-sdk-py

test-python: $(BUILT)
	$(PY) -m pytest -q

fmt:
	cargo fmt --all
	$(BIN)/ruff format python tests examples benchmarks
	$(BIN)/ruff check --fix python tests examples benchmarks

bench:
	bash benchmarks/run.sh

clean:
	rm -rf $(VENV) target python/tela_sdk/_native*.so
