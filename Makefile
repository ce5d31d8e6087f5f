# Two entry points for a fresh machine: `make demo` and `make test`. Each builds what it needs:
# the demo a small venv (.venv-demo: maturin and the package), the tests the full one (.venv).
VENV    ?= .venv
DEMO_VENV ?= .venv-demo
ifeq ($(OS),Windows_NT)
BIN     := $(VENV)/Scripts
PYTHON3 ?= python
else
BIN     := $(VENV)/bin
PYTHON3 ?= python3
endif
PY      := $(BIN)/python
ifeq ($(OS),Windows_NT)
DEMO_BIN := $(DEMO_VENV)/Scripts
else
DEMO_BIN := $(DEMO_VENV)/bin
endif
DEMO_PY := $(DEMO_BIN)/python
DEPS    := $(VENV)/.deps-stamp
BUILT   := $(VENV)/.built-stamp
SOURCES := $(shell find src crates python -name '*.rs' -o -name '*.toml' 2>/dev/null) Cargo.toml Cargo.lock pyproject.toml

.PHONY: demo test lint lint-rust lint-python lint-ruff lint-types test-rust test-python build wheel bench clean fmt

# The demo needs the package and its build tool, nothing else (requirements-demo.txt): not
# the test environment's hundreds of MB (Ray, Dask, Jupyter...).
demo: $(DEMO_VENV)/.built-stamp
	$(DEMO_PY) examples/quickstart.py

$(DEMO_PY):
	$(PYTHON3) -m venv $(DEMO_VENV)
	$(DEMO_PY) -m pip install -q --upgrade pip

$(DEMO_VENV)/.deps-stamp: requirements-demo.txt | $(DEMO_PY)
	$(DEMO_PY) -m pip install -q -r requirements-demo.txt
	touch $@

# maturin develop installs into the venv named by VIRTUAL_ENV (else it would pick ./.venv).
$(DEMO_VENV)/.built-stamp: $(DEMO_VENV)/.deps-stamp $(SOURCES)
	VIRTUAL_ENV="$(abspath $(DEMO_VENV))" $(DEMO_BIN)/maturin develop -q
	touch $@

# A release wheel of this checkout (abi3: one file for CPython 3.10+ on this platform) in dist/:
# `pip install dist/tela_sdk-*.whl` then needs no Rust. Release wheels for every platform and
# the sdist are built by .github/workflows/release.yml on a v* tag.
wheel: $(DEMO_VENV)/.deps-stamp
	$(DEMO_BIN)/maturin build --release --out dist

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
	VIRTUAL_ENV="$(abspath $(VENV))" $(BIN)/maturin develop -q
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
	$(PY) -m mypy.stubtest tela_sdk --allowlist stubtest-allowlist.txt

test-rust:
	cargo test --workspace --exclude tela-sdk-py

# In parallel: the tests mostly wait on sockets and subprocesses. Tests that share a costly
# module fixture, and the cluster examples, are grouped onto one worker (tests/conftest.py).
PYTEST_WORKERS ?= 4
test-python: $(BUILT)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup

fmt:
	cargo fmt --all
	$(BIN)/ruff format python tests examples benchmarks
	$(BIN)/ruff check --fix python tests examples benchmarks

bench:
	bash benchmarks/run.sh

clean:
	rm -rf $(VENV) $(DEMO_VENV) target dist python/tela_sdk/_native*.so
