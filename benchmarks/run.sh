#!/usr/bin/env bash
# Builds tela_sdk in release mode into .venv-bench beside its peers and runs every benchmark
# in one go, so all numbers come from the same machine state, then prints one table of all
# workloads and clients (benchmarks/summary.py).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-bench
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install -q --upgrade pip
# tela 0.2.2 breaks with httpx 0.28 (it passes the removed `proxies` argument).
"$VENV/bin/pip" install -q -r benchmarks/requirements.txt
rm -rf target/wheels-bench
"$VENV/bin/maturin" build -q --profile bench-release -o target/wheels-bench
"$VENV/bin/pip" install -q --force-reinstall --no-deps target/wheels-bench/*.whl
# The floor: the same workloads on bare reqwest + serde_json, no Python.
# and the floor server: answers recorded from the emulator, served from memory in its own process.
cargo build -q --profile bench-release -p tela-rawclient -p tela-floorserver
export BENCH_RAWCLIENT="$PWD/target/bench-release/rawclient"
export BENCH_FLOORSERVER="$PWD/target/bench-release/floorserver"
export BENCH_RESULTS="$PWD/target/bench-results.json"
rm -f "$BENCH_RESULTS"
# The 1 GiB upload row is opt-in (FILES_BENCH_UPLOAD_MIB=1024): it takes minutes.
export FILES_BENCH_UPLOAD_MIB="${FILES_BENCH_UPLOAD_MIB:-0}"
cd benchmarks
for b in ${BENCH_ONLY:-bench_import.py bench_requests.py bench_streams.py files_bench.py} ${BENCH_EXTRA:-}; do
  echo "== $b"
  "../$VENV/bin/python" "$b"
done
"../$VENV/bin/python" summary.py "$BENCH_RESULTS"
