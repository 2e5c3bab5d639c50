"""The lexical index keeps each listing's words (listing_words) and the weekly batch each profile's
(profile_words), so that they analyse only the texts that changed; an index fitted from stored words is
the index fitted from the texts, and a profile's words go as soon as its text changes."""

import numpy as np
import psycopg
import pytest

from matcher.batch.scoring import query_text
from matcher.batch.weekly import SQL as BATCH_SQL
from matcher.batch.weekly import Inputs
from matcher.config import Settings
from matcher.matching import lexical, propose
from matcher.matching.lexical import LexicalIndex


def texts(conn: psycopg.Connection) -> dict[str, str]:
    return dict(conn.execute("select id, name || '。' || description from resource order by id").fetchall())


def same_index(one: LexicalIndex, other: LexicalIndex) -> bool:
    if one.row_of != other.row_of or one.vectorizer.vocabulary_ != other.vectorizer.vocabulary_:
        return False
    return bool(
        np.array_equal(one.vectorizer.idf_, other.vectorizer.idf_) and (one.matrix != other.matrix).nnz == 0
    )


@pytest.fixture
def analysed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the analyser reads (the in-memory index forgotten first, as in a new process)."""
    seen: list[str] = []
    real = lexical.features

    def counting(text: str) -> list[str]:
        seen.append(text)
        return real(text)

    monkeypatch.setattr(propose, "features", counting)  # where listing and profile words are read
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
        "update resource set description = '畑で野菜を育てます。収穫した野菜は直売所へ。' where id = %s",
        [rid],
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


def test_the_batch_reads_each_profile_text_once_and_forgets_its_words_when_it_changes(
    seeded_conn: psycopg.Connection, seeded_settings: Settings, analysed: list[str]
) -> None:
    model = seeded_settings.embedding_model
    seeded_conn.execute("delete from profile_words")
    propose.lexical_index(seeded_conn)
    seeded_conn.commit()
    analysed.clear()
    inputs = Inputs.load(seeded_conn, model)
    seeded_conn.commit()
    texts_of = {pid: query_text(p) for pid, p in inputs.profiles.items()}
    assert sorted(analysed) == sorted(set(texts_of.values()))
    assert all(inputs.words[text] == lexical.features(text) for text in texts_of.values())
    stored = seeded_conn.execute("select count(*) from profile_words").fetchone()[0]  # type: ignore[index]
    assert stored == len(set(texts_of.values()))

    analysed.clear()
    assert Inputs.load(seeded_conn, model).words == inputs.words
    assert analysed == []  # every profile's words came from profile_words

    pid = seeded_conn.execute("select profile_id from profile_words order by 1 limit 1").fetchone()[0]  # type: ignore[index]
    old = texts_of[pid]
    seeded_conn.execute(
        "update needs_profile set narrative = '朝の短い時間なら出かけられる。' where id = %s", [pid]
    )
    seeded_conn.commit()
    # the words of the old text are gone at once, not at the next run
    assert seeded_conn.execute("select 1 from profile_words where profile_id = %s", [pid]).fetchone() is None
    # and words of a text the profile no longer has are never stored
    writer = propose.Analysed()  # the writer the batch uses
    writer.words(pid, old, None, None)
    writer.keep(seeded_conn, BATCH_SQL.store_profile_words)
    seeded_conn.commit()
    assert seeded_conn.execute("select 1 from profile_words where profile_id = %s", [pid]).fetchone() is None

    analysed.clear()
    again = Inputs.load(seeded_conn, model)
    assert analysed == [query_text(again.profiles[pid])]


def test_taking_a_place_leaves_the_index_key_alone_and_a_new_text_moves_it(
    seeded_conn: psycopg.Connection,
) -> None:
    def version() -> str:
        return seeded_conn.execute(propose.SQL.registry_version).fetchone()[0]  # type: ignore[index]

    rid = seeded_conn.execute(
        "select id from resource where capacity_open > 0 order by id limit 1"
    ).fetchone()[0]  # type: ignore[index]
    before = version()
    seeded_conn.execute("update resource set capacity_open = capacity_open - 1 where id = %s", [rid])
    seeded_conn.commit()
    assert version() == before  # a place taken: no process fingerprints every text again
    seeded_conn.execute("update resource set description = description || '。' where id = %s", [rid])
    seeded_conn.commit()
    assert version() != before
