"""One stream of 100 000 typed chunks through tela_sdk alone, for a profiler:

    py-spy record --native -o stream.svg -- ../.venv-bench/bin/python profile_stream.py

(the release wheel of `run.sh`; build it with CARGO_PROFILE_BENCH_RELEASE_STRIP=none for
Rust symbols). Prints the rate so a profiled run can be compared with an unprofiled one.
"""

from __future__ import annotations

import time

from _harness import API_KEY, Server

import tela_sdk


def main() -> None:
    with Server() as server:
        cid = server.add_canvas(template="t", reply="abcd" * 100_000, stream={"chunk_size": 4})
        client = tela_sdk.Client(api_key=API_KEY, base_url=server.url)
        for _ in range(3):
            start = time.perf_counter()
            n = 0
            for chunk in client.completions.create(canvas_id=cid, stream=True):
                n += chunk.choices[0].delta.content is not None or 1
            print(f"{n / (time.perf_counter() - start):,.0f} events/s")


if __name__ == "__main__":
    main()
