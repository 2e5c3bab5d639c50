"""The lexical part reads words (SudachiPy): synonyms and spelling variants meet, generic words weigh nothing."""

from matcher.matching.lexical import GENERIC, LexicalIndex, content_words, shared_phrases


def forms(text: str) -> list[str]:
    return [w.form for w in content_words(text)]


def test_spelling_variants_and_synonyms_meet() -> None:
    assert "カフェ" in forms("ｶﾌｪで働きたい")
    assert shared_phrases("料理が好き", "調理補助をします") == ["料理（調理）"]
    assert shared_phrases("パソコンが得意", "PC入力の作業") == ["パソコン（PC）"]
    assert {"コーヒー", "カフェ"} <= set(shared_phrases("ｶﾌｪでｺｰﾋｰを淹れたい", "カフェでコーヒーを入れる"))


def test_function_words_and_generic_welfare_words_are_not_content() -> None:
    words = forms("生活のための施設で、支援を受けながら準備をします。作業をしたいと思う。")
    assert words == []


def test_reasons_never_name_a_stop_word() -> None:
    person = "生活リズムを整えたい。施設の利用に向けて準備中。支援が必要。人と話すのが苦手。"
    listing = "生活支援施設です。利用の準備から支援します。人と話す練習もできます。"
    assert shared_phrases(person, listing) == []
    for phrase in shared_phrases("花と野菜を育てる作業が好き", "花壇と野菜の手入れをする作業"):
        assert phrase not in GENERIC
        assert phrase in {"花", "野菜", "育てる（手入れ）"} or "野菜" in phrase or "花" in phrase


def test_scores_rank_a_listing_that_shares_meaningful_words_first() -> None:
    index = LexicalIndex.build(
        {
            "farm": "農園。畑で野菜の収穫と草取りをします。",
            "shop": "雑貨店。レジと接客をします。",
            "kitchen": "食堂。調理補助と皿洗いをします。",
        }
    )
    scores = index.scores("料理が好きで、台所仕事なら手伝える", ["farm", "shop", "kitchen"])
    assert max(scores, key=scores.get) == "kitchen"  # type: ignore[arg-type]
    assert scores["shop"] == 0.0


def test_an_index_without_words_scores_nothing_rather_than_failing() -> None:
    assert LexicalIndex.build({}).scores("畑仕事", ["farm"]) == {}
    wordless = LexicalIndex.build(iter([("a", "は。"), ("b", "の、")]))  # pairs, read as they come
    assert wordless.matrix.shape[0] == 2
    assert wordless.scores("畑仕事が好き", ["a", "b"]) == {"a": 0.0, "b": 0.0}
