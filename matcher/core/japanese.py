"""SudachiPy (sudachidict-core), the Japanese word reader the lexical match and the PII guard share."""

import threading
from typing import Any

_local = threading.local()


def tokenizer() -> Any:
    """A tokenizer in long-unit mode (C), one per thread (they are not safe to share)."""
    found = getattr(_local, "tokenizer", None)
    if found is None:
        from sudachipy import Dictionary, SplitMode

        found = Dictionary(dict="core").tokenizer(mode=SplitMode.C)
        _local.tokenizer = found
    return found


def short_units() -> Any:
    """The split mode that breaks a compound into its shortest words (農作業 → 農, 作業)."""
    from sudachipy import SplitMode

    return SplitMode.A
