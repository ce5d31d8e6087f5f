# Two entry points for a fresh machine: `make demo` and `make test`. Each builds what it needs.
VENV    ?= .venv
PY      := $(VENV)/bin/python
DEPS    := $(VENV)/.deps-stamp
BUILT   := $(VENV)/.built-stamp
SOURCES := $(shell find src crates python -name '*.rs' -o -name '*.toml' 2>/dev/null) Cargo.toml Cargo.lock pyproject.toml

.PHONY: demo test lint lint-rust lint-python test-rust test-python build bench clean fmt

demo: $(BUILT)
	$(PY) examples/quickstart.py

test: lint test-rust test-python

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(DEPS): pyproject.toml | $(PY)
	$(PY) -m pip install -q "maturin>=1.9.4,<2" "pytest>=8" "pytest-asyncio>=0.24" "pytest-timeout>=2.3" "ruff>=0.6" "mypy>=1.11" "aiohttp>=3.9" "tqdm>=4.66" "distributed>=2024.1" "ray[data]>=2.9" "fastapi>=0.110" "uvicorn>=0.29" "httpx>=0.27" "hypothesis>=6.100"
	touch $@

# Debug build: compiles fast, and the suite asserts behaviour, not speed (benchmarks use release).
$(BUILT): $(DEPS) $(SOURCES)
	rm -f python/tela_sdk/_native*.so
	$(VENV)/bin/maturin develop -q
	touch $@

build: $(BUILT)

lint: lint-rust lint-python

lint-rust:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

lint-python: $(BUILT)
	$(VENV)/bin/ruff check python tests examples benchmarks
	$(VENV)/bin/ruff format --check python tests examples benchmarks
	$(VENV)/bin/mypy
	$(PY) -m mypy.stubtest tela_sdk._native

test-rust:
	cargo test --workspace --exclude tela-sdk-py

test-python: $(BUILT)
	$(PY) -m pytest -q

fmt:
	cargo fmt --all
	$(VENV)/bin/ruff format python tests examples benchmarks
	$(VENV)/bin/ruff check --fix python tests examples benchmarks

bench:
	bash benchmarks/run.sh

clean:
	rm -rf $(VENV) target python/tela_sdk/_native*.so
