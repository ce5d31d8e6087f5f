#!/usr/bin/env bash
# Builds tela_sdk in release mode into .venv-bench beside its peers and runs every benchmark
# in one go, so all numbers come from the same machine state.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-bench
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install -q --upgrade pip
# tela 0.2.2 breaks with httpx 0.28 (it passes the removed `proxies` argument).
"$VENV/bin/pip" install -q "maturin>=1.9.4,<2" "tela==0.2.2" "httpx<0.28" "httpx-sse>=0.4"
rm -rf target/wheels-bench
"$VENV/bin/maturin" build -q --profile bench-release -o target/wheels-bench
"$VENV/bin/pip" install -q --force-reinstall --no-deps target/wheels-bench/*.whl
cd benchmarks
for b in bench_requests.py bench_streams.py ${BENCH_EXTRA:-}; do
  echo "== $b"
  "../$VENV/bin/python" "$b"
done
