"""Files: inline encoding speed and memory, and upload throughput and memory.

1. Inline: a 100 MiB file -> `data:<mime>;base64,...`. tela_sdk (the native core, streamed from
   disk into one buffer of the exact encoded size, parallel on all cores) against pure-Python
   `base64` (read the file, encode, prepend the prefix). Peak RSS delta of each, next to the
   encoded size.
2. Upload: a 1 GiB file through `client.files.upload()` (POST /v3/files + streamed PUT) to the
   emulator in its own process, against an httpx PUT of the open file when httpx is installed.
   Peak RSS delta of the client, and the emulator's own peak (it counts and hashes, never
   buffers).

Every case runs in a fresh subprocess, which resets its peak RSS (/proc/self/clear_refs)
right before the measured work and reads VmHWM after it. Linux only.

    python benchmarks/files_bench.py            # or: make bench (BENCH_EXTRA=files_bench.py)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

from _harness import API_KEY, RAW_RUST, RAWCLIENT, Server, raw_rust_json, record

MiB = 1 << 20
INLINE_SIZE = int(os.environ.get("FILES_BENCH_INLINE_MIB", "100")) * MiB
UPLOAD_SIZE = int(os.environ.get("FILES_BENCH_UPLOAD_MIB", "1024")) * MiB


def _status_kib(field: str, pid: str = "self") -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def _reset_peak() -> int:
    """Resets VmHWM to the current RSS (Linux >= 4.0) and returns the RSS in bytes."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    return _status_kib("VmRSS") * 1024


def _peak_since(base: int) -> int:
    return _status_kib("VmHWM") * 1024 - base


def _write_file(path: str, size: int) -> None:
    chunk = os.urandom(4 * MiB)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, len(chunk))
            f.write(chunk[:n])
            left -= n
        f.flush()
        os.fsync(f.fileno())  # no writeback running behind the measurements


# ---- cases, each run in its own process ----------------------------------------------


def case_inline_sdk(path: str) -> dict[str, Any]:
    from tela_sdk import File

    file = File(path, mime_type="application/pdf")
    base = _reset_peak()
    start = time.perf_counter()
    url = file.to_data_url()  # the final str
    elapsed = time.perf_counter() - start
    return {"seconds": elapsed, "peak": _peak_since(base), "out": len(url)}


def case_inline_python(path: str) -> dict[str, Any]:
    import base64

    base = _reset_peak()
    start = time.perf_counter()
    with open(path, "rb") as f:
        url = b"data:application/pdf;base64," + base64.b64encode(f.read())
    elapsed = time.perf_counter() - start
    return {"seconds": elapsed, "peak": _peak_since(base), "out": len(url)}


def case_upload_sdk(path: str, url: str) -> dict[str, Any]:
    import tela_sdk

    client = tela_sdk.Client(api_key=API_KEY, base_url=url, timeout=600)
    client.files.upload(b"warm the pool", name="warm.txt")
    base = _reset_peak()
    start = time.perf_counter()
    uploaded = client.files.upload(path)
    elapsed = time.perf_counter() - start
    return {"seconds": elapsed, "peak": _peak_since(base), "process": _status_kib("VmHWM") * 1024, "id": uploaded.id}


def case_upload_httpx(path: str, url: str) -> dict[str, Any]:
    import httpx

    headers = {"Authorization": f"Bearer {API_KEY}", "x-compatibility-date": "2025-07-23"}
    with httpx.Client(timeout=600) as http:
        base = _reset_peak()
        start = time.perf_counter()
        created = http.post(f"{url}/v3/files", json={"fileName": "big.bin"}, headers=headers).json()
        with open(path, "rb") as f:
            resp = http.put(
                created["uploadUrl"],
                content=f,
                headers={"Content-Type": "application/octet-stream", "Content-Length": str(UPLOAD_SIZE)},
            )
        resp.raise_for_status()
        elapsed = time.perf_counter() - start
        return {
            "seconds": elapsed,
            "peak": _peak_since(base),
            "process": _status_kib("VmHWM") * 1024,
            "id": created["id"],
        }


CASES = {
    "inline_sdk": case_inline_sdk,
    "inline_python": case_inline_python,
    "upload_sdk": case_upload_sdk,
    "upload_httpx": case_upload_httpx,
}


def run_case(name: str, *args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--case", name, *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"case {name} failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# ---- report --------------------------------------------------------------------------


def mib(n: float) -> str:
    return f"{n / MiB:,.1f} MiB"


def inline_report(tmp: str) -> None:
    path = os.path.join(tmp, "inline.pdf")
    _write_file(path, INLINE_SIZE)
    encoded = len("data:application/pdf;base64,") + (INLINE_SIZE + 2) // 3 * 4
    runs = {
        name: min((run_case(name, path) for _ in range(5)), key=lambda r: r["seconds"])
        for name in ("inline_sdk", "inline_python")
    }
    ours, py = runs["inline_sdk"], runs["inline_python"]
    assert ours["out"] == py["out"] == encoded
    print(f"\nInline encoding of a {mib(INLINE_SIZE)} file (encoded: {mib(encoded)}; best of 5)")
    print(f"  {'':<24}{'seconds':>10}{'MiB/s':>10}{'peak RSS delta':>18}{'peak / encoded':>16}")
    for name, r in (("tela_sdk", ours), ("pure-Python base64", py)):
        print(
            f"  {name:<24}{r['seconds']:>10.3f}{INLINE_SIZE / MiB / r['seconds']:>10,.0f}"
            f"{mib(r['peak']):>18}{r['peak'] / encoded:>15.2f}x"
        )
    print(f"  speed: tela_sdk is {py['seconds'] / ours['seconds']:.1f}x faster than pure-Python base64")
    rows = {
        "tela_sdk": (INLINE_SIZE / MiB / ours["seconds"], 0.0),
        "pure-Python base64": (INLINE_SIZE / MiB / py["seconds"], 0.0),
    }
    if RAWCLIENT:
        rust = min(raw_rust_json("base64", path)["seconds"] for _ in range(5))
        rows[RAW_RUST + " read + base64-simd"] = (INLINE_SIZE / MiB / rust, 0.0)
        print(f"  raw Rust (read the file, base64-simd into a String): {rust:.3f} s")
    record(f"{mib(INLINE_SIZE)} file to a data: URL", "MiB/s", rows)
    print(
        f"  memory: tela_sdk peaks at encoded size + {mib(ours['peak'] - encoded)}; "
        f"pure Python at {py['peak'] / encoded:.2f}x the encoded size"
    )


def upload_report(tmp: str) -> None:
    path = os.path.join(tmp, "upload.bin")
    _write_file(path, UPLOAD_SIZE)
    rows: dict[str, dict[str, Any]] = {}
    with Server() as server:
        pid = str(server.proc.pid)
        for name, label in (("upload_sdk", "tela_sdk files.upload"), ("upload_httpx", "httpx PUT (file object)")):
            try:
                rows[label] = run_case(name, path, server.url)
            except RuntimeError as e:
                if name == "upload_httpx" and "No module named 'httpx'" in str(e):
                    print("  (httpx not installed: no baseline row)")
                    continue
                raise
        emulator_peak = _status_kib("VmHWM", pid) * 1024
    print(f"\nUpload of a {mib(UPLOAD_SIZE)} file to the emulator (its own process)")
    print(
        f"  {'':<26}{'seconds':>10}{'MiB/s':>10}{'client peak RSS delta':>24}{'peak / file':>13}"
        f"{'process peak RSS':>19}"
    )
    for label, r in rows.items():
        print(
            f"  {label:<26}{r['seconds']:>10.2f}{UPLOAD_SIZE / MiB / r['seconds']:>10,.0f}"
            f"{mib(r['peak']):>24}{r['peak'] / UPLOAD_SIZE:>12.3f}x{mib(r['process']):>19}"
        )
    ours = rows["tela_sdk files.upload"]
    base = rows.get("httpx PUT (file object)")
    if base:
        print(f"  throughput: tela_sdk / httpx = {base['seconds'] / ours['seconds']:.2f}x")
    print(f"  emulator peak RSS over the whole run: {mib(emulator_peak)} (the upload is counted and hashed, not kept)")
    verdict = "under" if ours["process"] < 64 * MiB else "OVER"
    print(f"  tela_sdk client process peak (interpreter included) stays {verdict} 64 MiB")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--case":
        print(json.dumps(CASES[sys.argv[2]](*sys.argv[3:])))
        return
    with tempfile.TemporaryDirectory(prefix="tela-files-bench-") as tmp:
        inline_report(tmp)
        if UPLOAD_SIZE:
            upload_report(tmp)


if __name__ == "__main__":
    main()
