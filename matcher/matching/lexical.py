"""The lexical part of the fit: character n-gram TF-IDF, since Japanese has no word spaces.

The index over every listing's text is fitted once per registry version and kept in memory.
"""

import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

_CONTENT = re.compile(r"[\u4e00-\u9fff々\u30a0-\u30ffA-Za-z0-9]")
_KATAKANA = re.compile(r"[\u30a0-\u30ff]+")
_EDGE_KANA = re.compile(r"^[\u3040-\u309f・、。\s]+|[\u3040-\u309f・、。\s]+$")
GENERIC = frozenset(
    (
        "作業 活動 参加 本人 希望 利用 支援 事業 一緒 自分 地域 "
        "仕事 可能 場合 程度 以上 以下 時間 最初 少し 人数"
    ).split()
)


def normalise(text: str) -> str:
    """NFKC, so that full-width and half-width forms match."""
    return unicodedata.normalize("NFKC", text)


@dataclass
class LexicalIndex:
    """TF-IDF vectors of every listing's text, by listing id."""

    vectorizer: TfidfVectorizer
    matrix: Any
    row_of: dict[str, int]
    texts: dict[str, str]

    @classmethod
    def build(cls, texts: dict[str, str]) -> "LexicalIndex":
        """Fits character 2–3-grams on the listings' texts."""
        ids = list(texts)
        vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True, preprocessor=normalise
        )
        matrix = vectorizer.fit_transform([texts[i] for i in ids] or [""])
        return cls(vectorizer, matrix, {rid: n for n, rid in enumerate(ids)}, texts)

    def scores(self, query: str, resource_ids: list[str]) -> dict[str, float]:
        """Cosine similarity of the query to each listing named."""
        known = [rid for rid in resource_ids if rid in self.row_of]
        if not known:
            return {}
        vector = self.vectorizer.transform([query])
        rows = self.matrix[[self.row_of[rid] for rid in known]]
        values = np.asarray((rows @ vector.T).todense()).ravel()
        return {rid: float(v) for rid, v in zip(known, values, strict=True)}


def _whole_katakana(phrase: str, text: str) -> bool:
    """False when an all-katakana phrase is only ever part of a longer katakana word in text."""
    if not _KATAKANA.fullmatch(phrase):
        return True
    for match in re.finditer(re.escape(phrase), text):
        before = text[match.start() - 1] if match.start() else ""
        after = text[match.end()] if match.end() < len(text) else ""
        if not _KATAKANA.fullmatch(before + after or "a"):
            return True
    return False


def shared_phrases(query: str, text: str, limit: int = 4) -> list[str]:
    """The longest phrases the two texts share (content words, not particles), longest first."""
    query, text = normalise(query), normalise(text)
    found: list[str] = []
    i = 0
    while i < len(query):
        length = 0
        while i + length < len(query) and query[i : i + length + 1] in text:
            length += 1
        phrase = _EDGE_KANA.sub("", query[i : i + length])
        if (
            len(phrase) >= 2
            and _CONTENT.search(phrase)
            and phrase not in GENERIC
            and phrase not in found
            and _whole_katakana(phrase, query)
            and _whole_katakana(phrase, text)
        ):
            found.append(phrase)
        i += max(length, 1)
    found = [p for p in found if not any(p != q and p in q for q in found)]
    return sorted(found, key=len, reverse=True)[:limit]


_cache: dict[str, LexicalIndex] = {}
_lock = threading.Lock()


def cached_index(version: str, load_texts: Callable[[], dict[str, str]]) -> LexicalIndex:
    """The index for this registry version, built on first use and kept."""
    with _lock:
        index = _cache.get(version)
        if index is None:
            index = LexicalIndex.build(load_texts())
            _cache.clear()
            _cache[version] = index
        return index
