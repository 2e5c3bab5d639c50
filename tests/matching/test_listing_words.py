"""The lexical index keeps each listing's words (listing_words), so that fitting it again analyses only
the texts that changed, and an index fitted from stored words is the index fitted from the texts."""

import numpy as np
import psycopg
import pytest

from matcher.matching import lexical, propose
from matcher.matching.lexical import LexicalIndex


def texts(conn: psycopg.Connection) -> dict[str, str]:
    return dict(conn.execute("select id, name || '。' || description from resource order by id").fetchall())


def same_index(one: LexicalIndex, other: LexicalIndex) -> bool:
    if one.row_of != other.row_of or one.vectorizer.vocabulary_ != other.vectorizer.vocabulary_:
        return False
    return bool(
        np.array_equal(one.vectorizer.idf_, other.vectorizer.idf_)
        and (one.matrix != other.matrix).nnz == 0
    )


@pytest.fixture
def analysed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the analyser reads (the in-memory index forgotten first, as in a new process)."""
    seen: list[str] = []
    real = lexical.features

    def counting(text: str) -> list[str]:
        seen.append(text)
        return real(text)

    monkeypatch.setattr(lexical, "features", counting)
    lexical._cache.clear()
    return seen


def test_a_new_process_reads_stored_words_and_fits_the_same_index(
    seeded_conn: psycopg.Connection, analysed: list[str]
) -> None:
    seeded_conn.execute("delete from listing_words")
    first = propose.lexical_index(seeded_conn)
    seeded_conn.commit()
    every = texts(seeded_conn)
    assert sorted(analysed) == sorted(every.values())
    assert seeded_conn.execute("select count(*) from listing_words").fetchone() == (len(every),)

    analysed.clear()
    lexical._cache.clear()
    again = propose.lexical_index(seeded_conn)
    assert analysed == []  # nothing analysed again: every word came from listing_words
    assert same_index(again, first)
    assert same_index(again, LexicalIndex.build(every))


def test_only_a_changed_text_is_analysed_again(seeded_conn: psycopg.Connection, analysed: list[str]) -> None:
    propose.lexical_index(seeded_conn)
    seeded_conn.commit()
    rid = seeded_conn.execute("select id from resource order by id limit 1").fetchone()[0]  # type: ignore[index]
    seeded_conn.execute(
        "update resource set description = '畑で野菜を育てます。収穫した野菜は直売所へ。' where id = %s", [rid]
    )
    seeded_conn.commit()
    analysed.clear()
    index = propose.lexical_index(seeded_conn)
    changed = texts(seeded_conn)[rid]
    assert analysed == [changed]
    assert same_index(index, LexicalIndex.build(texts(seeded_conn)))
    assert index.scores("野菜を育てたい", [rid])[rid] > 0


def test_stored_words_of_another_text_are_never_used(
    seeded_conn: psycopg.Connection, analysed: list[str]
) -> None:
    propose.lexical_index(seeded_conn)
    seeded_conn.commit()
    rid = seeded_conn.execute("select id from resource order by id limit 1").fetchone()[0]  # type: ignore[index]
    # words left from an older text (or an older analyser): the hash no longer matches the text
    seeded_conn.execute(
        "update listing_words set features = 'w:宇宙' || chr(31) || 'w:ロケット', text_hash = 'old'"
        " where resource_id = %s",
        [rid],
    )
    seeded_conn.commit()
    lexical._cache.clear()
    analysed.clear()
    index = propose.lexical_index(seeded_conn)
    assert analysed == [texts(seeded_conn)[rid]]
    assert "w:宇宙" not in index.vectorizer.vocabulary_
    assert same_index(index, LexicalIndex.build(texts(seeded_conn)))
