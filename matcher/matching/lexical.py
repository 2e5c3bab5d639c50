"""The lexical part of the fit: shared content words, read with a Japanese morphological analyser.

SudachiPy (with sudachidict-core) splits text into words and gives each its normalised form, so that
ｶﾌｪ/カフェ and 淹れる/入れる meet, and its synonym groups, so that 料理/調理 and パソコン/PC meet. Only
content words count (nouns, verbs, adjectives, adjectival nouns); particles, auxiliaries, numbers,
light verbs (する・いる・なる) and the generic words of welfare writing (生活・施設・支援・準備…) weigh
nothing. Listings and profiles are compared by TF-IDF cosine over those words and synonym groups;
the index over every listing is fitted once per registry version and kept in memory.
"""

import hashlib
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from matcher.core.japanese import short_units, tokenizer

# Words so common in listings and needs that sharing them says nothing about fit (normalised forms).
GENERIC = frozenset(
    """
    生活 施設 支援 準備 利用 参加 活動 作業 事業 本人 希望 地域 可能 場合 程度 以上 以下 時間 最初
    少し 人数 一緒 自分 人 方 者 こと 事 もの 物 ため 為 好き 得意 苦手 気持ち 様子 状態 必要 相談
    対応 受け入れる 受入れ 受け入れ 話す 思う 言う 見る 行く 来る 出る 入る 持つ 考える 使う 始める
    できる 出来る 分かる 行う 過ごす 通う 関わる 感じる 続ける 持てる 週 日 月 年 回 時 分 名 円
    他 中 前 後 上 下 間 所 場 場所 今 毎日 毎週 日中 午前 午後 自宅 家族 さん 皆 みんな 多い 少ない
    良い よい 無い ない 大きい 小さい 新しい 等 など 以外 全体 一部 部分 内容 仕事 受ける 得る
    """.split()
)
_CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞"}
_SKIP_SUBPOS = {"数詞", "助数詞可能", "副詞可能", "非自立可能", "人名"}


def normalise(text: str) -> str:
    """NFKC, so that full-width and half-width forms match, with invisible characters removed."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch) not in {"Cf", "Cc"} or ch in "\n\t")


@dataclass(frozen=True)
class Word:
    """One content word: as written, its normalised form and its synonym groups."""

    surface: str
    form: str
    synonyms: tuple[int, ...]


def _is_content(pos: tuple[str, ...], form: str) -> bool:
    if pos[0] not in _CONTENT_POS or pos[1] in _SKIP_SUBPOS or pos[2] in _SKIP_SUBPOS:
        return False
    if form in GENERIC or len(form) < 2 and not ("\u4e00" <= form <= "\u9fff"):
        return False
    return not form.isdigit()


def content_words(text: str) -> tuple[Word, ...]:
    """The content words of a text in order; a compound's parts follow it (農作業 → 農作業, 作業)."""
    return _content_words(text)


@lru_cache(maxsize=8192)
def _content_words(text: str) -> tuple[Word, ...]:
    words = []
    split = short_units()
    for morpheme in tokenizer().tokenize(normalise(text)):
        pos, form = morpheme.part_of_speech(), morpheme.normalized_form()
        if _is_content(pos, form):
            words.append(Word(morpheme.surface(), form, tuple(morpheme.synonym_group_ids())))
        parts = morpheme.split(split)
        if len(parts) > 1:
            for part in parts:
                part_form = part.normalized_form()
                if _is_content(part.part_of_speech(), part_form) and part_form != form:
                    words.append(Word(part.surface(), part_form, tuple(part.synonym_group_ids())))
    return tuple(words)


def features(text: str) -> list[str]:
    """What the index counts: each content word's normalised form and its synonym groups."""
    found = []
    for word in content_words(text):
        found.append(f"w:{word.form}")
        found.extend(f"s:{group}" for group in word.synonyms)
    return found


def _identity(tokens: list[str]) -> list[str]:
    return tokens


# Bump when the reading of words changes in a way the constants below do not show (the stored words
# of every listing are then read again): listing_words keeps `features` by this hash of the text.
ANALYSER_VERSION = 1
SEPARATOR = chr(31)  # never in a feature: normalise() removes control characters from the text


@lru_cache(maxsize=1)
def analyser() -> str:
    """The analyser's version: what stored words are hashed with, before the text."""
    from importlib.metadata import version

    seen = (
        ANALYSER_VERSION,
        version("sudachipy"),
        version("sudachidict-core"),
        sorted(GENERIC),
        sorted(_CONTENT_POS),
        sorted(_SKIP_SUBPOS),
    )
    return f"{seen!r}{SEPARATOR}"


@lru_cache(maxsize=1)
def _hashed_analyser() -> Any:
    return hashlib.md5(analyser().encode(), usedforsecurity=False)


def words_hash(text: str) -> str:
    """Which text, read by which analyser, stored features came from: md5(analyser() + text), as
    the SQL that stores them checks it against the text stored now."""
    digest = _hashed_analyser().copy()
    digest.update(text.encode())
    return str(digest.hexdigest())


@dataclass
class LexicalIndex:
    """TF-IDF vectors of every listing's content words, by listing id.

    Only the sparse matrix, the vocabulary and the row of each id are kept: not the texts (reasons read
    the few they show from the database) nor the words of every listing, which at 100,000 listings
    held most of a gigabyte while the index was fitted."""

    vectorizer: TfidfVectorizer
    matrix: Any
    row_of: dict[str, int]

    @classmethod
    def build(cls, texts: Mapping[str, str] | Iterable[tuple[str, str]]) -> "LexicalIndex":
        """Fits the vocabulary and weights on the listings' texts ((id, text) pairs, or a mapping),
        reading each text's words as it goes."""
        pairs = texts.items() if isinstance(texts, Mapping) else texts
        return cls.fit((rid, features(text)) for rid, text in pairs)

    @classmethod
    def fit(cls, documents: Iterable[tuple[str, list[str]]]) -> "LexicalIndex":
        """Fits the vocabulary and weights on the listings' features ((id, features) pairs, as
        `features` gives them), read as they come."""
        ids: list[str] = []

        def words() -> Iterator[list[str]]:
            for rid, found in documents:
                ids.append(rid)
                yield found

        vectorizer = TfidfVectorizer(
            analyzer=_identity, sublinear_tf=True, dtype=np.float32, token_pattern=None
        )
        try:
            matrix = vectorizer.fit_transform(words())
        except ValueError:  # no listing, or not one content word in any: a vocabulary no text has
            vectorizer.fit([["w:_"]])
            matrix = vectorizer.transform([[] for _ in ids] or [[]])
        return cls(vectorizer, matrix, {rid: n for n, rid in enumerate(ids)})

    def query_vector(self, query: str) -> Any:
        """The query's TF-IDF vector in this index's vocabulary."""
        return self.vectorizer.transform([features(query)])

    def scores(self, query: str, resource_ids: list[str]) -> dict[str, float]:
        """Cosine similarity of the query to each listing named."""
        known = [rid for rid in resource_ids if rid in self.row_of]
        if not known:
            return {}
        vector = self.query_vector(query)
        rows = self.matrix[[self.row_of[rid] for rid in known]]
        values = np.asarray((rows @ vector.T).todense()).ravel()
        return {rid: float(v) for rid, v in zip(known, values, strict=True)}


def _pairs(query: str, text: str) -> Iterator[tuple[str, str]]:
    """(word in the query, word in the text) for each content word they share, in the query's order."""
    theirs = content_words(text)
    by_form = {w.form: w for w in theirs}
    by_group: dict[int, Word] = {}
    for word in theirs:
        for group in word.synonyms:
            by_group.setdefault(group, word)
    for word in content_words(query):
        match = by_form.get(word.form) or next((by_group[g] for g in word.synonyms if g in by_group), None)
        if match is not None:
            yield word.surface, match.surface


def shared_phrases(query: str, text: str, limit: int = 4) -> list[str]:
    """The content words both texts share, as 「料理」 or, for a synonym, 「料理（調理）」; longest first."""
    found: list[str] = []
    seen: set[str] = set()
    for mine, theirs in _pairs(query, text):
        key = unicodedata.normalize("NFKC", theirs)
        if key in seen or any(key in other and key != other for other in seen):
            continue
        seen.add(key)
        same = unicodedata.normalize("NFKC", mine) == key
        found.append(key if same else f"{unicodedata.normalize('NFKC', mine)}（{key}）")
    found = [p for p in found if not any(p != q and p in q for q in found)]
    return sorted(found, key=len, reverse=True)[:limit]


_cache: dict[str, LexicalIndex] = {}
_lock = threading.Lock()


def cached_index(version: str, load: Callable[[], Iterable[tuple[str, list[str]]]]) -> LexicalIndex:
    """The index for this registry version, fitted on first use on the (id, features) `load` gives,
    and kept."""
    with _lock:
        index = _cache.get(version)
        if index is None:
            index = LexicalIndex.fit(load())
            _cache.clear()
            _cache[version] = index
        return index
