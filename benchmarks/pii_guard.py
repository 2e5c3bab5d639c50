"""How the PII guard does on its test table: identifiers refused, clean texts refused, speed.

Run: .venv/bin/python benchmarks/pii_guard.py
"""

import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matcher.profiles.pii import find_pii  # noqa: E402
from tests.profiles.pii_cases import NEGATIVE, POSITIVE  # noqa: E402


def main() -> None:
    find_pii("準備")  # load the dictionary before timing
    started = time.perf_counter()
    missed = [(text, kind) for text, kind in POSITIVE if kind not in {f.kind for f in find_pii(text)}]
    refused = [text for text, _kind in POSITIVE if find_pii(text)]
    wrongly = [text for text in NEGATIVE if find_pii(text)]
    elapsed = time.perf_counter() - started
    total = Counter(kind for _text, kind in POSITIVE)
    caught = Counter(kind for text, kind in POSITIVE if kind in {f.kind for f in find_pii(text)})
    print(f"identifiers refused: {len(refused)}/{len(POSITIVE)} ({len(refused) / len(POSITIVE):.1%})")
    print(f"found as the right kind: {len(POSITIVE) - len(missed)}/{len(POSITIVE)}")
    for kind in sorted(total):
        print(f"  {kind:12} {caught[kind]}/{total[kind]}")
    rate = len(wrongly) / len(NEGATIVE)
    print(f"clean texts refused: {len(wrongly)}/{len(NEGATIVE)} ({rate:.1%}; {rate * 60:.1f} per 60)")
    count = len(POSITIVE) * 3 + len(NEGATIVE)
    print(f"{1000 * elapsed / count:.2f} ms per text")
    for text, kind in missed:
        print(f"MISSED {kind}: {text}")
    for text in wrongly:
        print(f"REFUSED CLEAN: {text}")


if __name__ == "__main__":
    main()
