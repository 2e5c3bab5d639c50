"""The eligibility table of domain.md §5, read from validated needs profiles (no database).

Every programme is tried with a profile that just meets its rule and one that just misses it; age is
tested on the whole 5-year band (60-64 is under 65 but not 65 or over)."""

import pytest
from pydantic import ValidationError

from matcher.core.vocabulary import Programme
from matcher.matching.eligibility import RULES, check, eligible_programmes
from tests.unit.factories import profile

# (programme, facts, age band, eligible) — the row of §5 each case tests is in the comment
TABLE = [
    # shuro_b: certificate
    ("shuro_b", ["certificate"], "40-44", True),
    ("shuro_b", ["certificate"], "70-74", True),
    ("shuro_b", ["disability_handbook"], "40-44", False),
    # shuro_a: certificate, age < 65
    ("shuro_a", ["certificate"], "60-64", True),
    ("shuro_a", ["certificate"], "65-69", False),
    ("shuro_a", ["disability_handbook"], "40-44", False),
    # shuro_iko: certificate, age < 65
    ("shuro_iko", ["certificate"], "60-64", True),
    ("shuro_iko", ["certificate"], "65-69", False),
    ("shuro_iko", ["hardship"], "30-34", False),
    ("shuro_iko", [], "30-34", False),
    # seikatsu_kunren: certificate
    ("seikatsu_kunren", ["certificate"], "70-74", True),
    ("seikatsu_kunren", ["certificate"], "80-84", True),
    ("seikatsu_kunren", ["disability_handbook"], "30-34", False),
    # shuro_junbi: hardship or welfare
    ("shuro_junbi", ["hardship"], "40-44", True),
    ("shuro_junbi", ["welfare"], "50-54", True),
    ("shuro_junbi", ["welfare"], "70-74", True),
    ("shuro_junbi", ["hikikomori"], "40-44", False),
    ("shuro_junbi", ["hikikomori", "not_in_work_or_school"], "40-44", False),
    # ichiji_seikatsu: hardship or welfare
    ("ichiji_seikatsu", ["welfare"], "30-34", True),
    ("ichiji_seikatsu", ["hardship"], "50-54", True),
    ("ichiji_seikatsu", ["certificate"], "30-34", False),
    # chiiki_katsudo: certificate or disability_handbook
    ("chiiki_katsudo", ["certificate"], "30-34", True),
    ("chiiki_katsudo", ["disability_handbook"], "30-34", True),
    ("chiiki_katsudo", ["disability_handbook"], "75-79", True),
    ("chiiki_katsudo", ["hikikomori"], "30-34", False),
    ("chiiki_katsudo", ["welfare", "hikikomori"], "30-34", False),
    # kaigo_yobo: age >= 65
    ("kaigo_yobo", [], "65-69", True),
    ("kaigo_yobo", [], "60-64", False),
    # silver: age >= 60
    ("silver", [], "60-64", True),
    ("silver", [], "55-59", False),
    # saposute: age 15–49 and not_in_work_or_school
    ("saposute", ["not_in_work_or_school"], "15-19", True),
    ("saposute", ["not_in_work_or_school"], "45-49", True),
    ("saposute", ["not_in_work_or_school"], "50-54", False),
    ("saposute", ["not_in_work_or_school"], "10-14", False),
    ("saposute", ["hikikomori"], "20-24", False),
    # volunteer: everyone
    ("volunteer", [], "0-4", True),
    ("volunteer", [], "85-89", True),
    ("volunteer", [], "95-99", True),
]


@pytest.mark.parametrize(("programme", "facts", "band", "eligible"), TABLE)
def test_eligibility_table(programme: str, facts: list[str], band: str, eligible: bool) -> None:
    person = profile(facts=facts, age_band=band)
    assert check(Programme(programme), facts=person.facts, age_band=person.age_band).eligible is eligible


def test_the_table_tries_every_programme_both_ways() -> None:
    every = {p.value for p in Programme}
    assert {row[0] for row in TABLE if row[3]} == every
    assert {row[0] for row in TABLE if not row[3]} == every - {"volunteer"}  # no one misses volunteer
    assert set(RULES) == set(Programme)


@pytest.mark.parametrize(
    ("band", "age_range", "under_65", "at_least_65"),
    [("60-64", (60, 64), True, False), ("65-69", (65, 69), False, True), ("0-4", (0, 4), True, False)],
)
def test_age_bands(band: str, age_range: tuple[int, int], under_65: bool, at_least_65: bool) -> None:
    person = profile(age_band=band)
    assert person.age_range() == age_range
    low, high = person.age_range()
    assert (high < 65) is under_65
    assert (low >= 65) is at_least_65
    assert check(Programme.shuro_a, facts=["certificate"], age_band=band).eligible is under_65
    assert check(Programme.kaigo_yobo, facts=[], age_band=band).eligible is at_least_65


@pytest.mark.parametrize("band", ["60-65", "61-65", "60", "sixty", "120-124"])
def test_a_band_that_is_not_five_years_is_refused(band: str) -> None:
    with pytest.raises(ValidationError, match="5歳刻み"):
        profile(age_band=band)


@pytest.mark.parametrize(
    ("programme", "facts", "band", "reason"),
    [
        ("shuro_b", [], "40-44", "就労継続支援B型の対象要件（障害福祉サービス受給者証）に当てはまりません"),
        ("shuro_b", [], "30-34", "就労継続支援B型の対象要件（障害福祉サービス受給者証）に当てはまりません"),
        ("shuro_junbi", ["hardship"], "40-44", "就労準備支援事業の対象要件（生活困窮）を満たします"),
        (
            "shuro_junbi",
            ["hikikomori"],
            "40-44",
            "就労準備支援事業の対象要件（生活困窮または生活保護受給）に当てはまりません",
        ),
        (
            "shuro_junbi",
            ["welfare", "hardship"],
            "40-44",
            "就労準備支援事業の対象要件（生活困窮、生活保護受給）を満たします",
        ),
        (
            "shuro_a",
            ["certificate"],
            "60-64",
            "就労継続支援A型の対象要件（障害福祉サービス受給者証、年齢帯 60-64歳）を満たします",
        ),
        (
            "shuro_a",
            ["certificate"],
            "65-69",
            "年齢帯 65-69歳 は就労継続支援A型の年齢要件（65歳未満）を満たしません",
        ),
        (
            "kaigo_yobo",
            [],
            "60-64",
            "年齢帯 60-64歳 は一般介護予防事業（通いの場）の年齢要件（65歳以上）を満たしません",
        ),
        ("silver", [], "60-64", "シルバー人材センターの対象要件（年齢帯 60-64歳）を満たします"),
        (
            "saposute",
            ["not_in_work_or_school"],
            "50-54",
            "年齢帯 50-54歳 は地域若者サポートステーションの年齢要件（15〜49歳）を満たしません",
        ),
        (
            "saposute",
            ["not_in_work_or_school"],
            "15-19",
            "地域若者サポートステーションの対象要件（無業、年齢帯 15-19歳）を満たします",
        ),
        (
            "saposute",
            ["hikikomori"],
            "20-24",
            "地域若者サポートステーションの対象要件（無業、15〜49歳）に当てはまりません",
        ),
        ("volunteer", [], "40-44", "社協ボランティアセンターの対象要件（どなたでも）を満たします"),
    ],
)
def test_eligibility_reasons_name_the_requirement(
    programme: str, facts: list[str], band: str, reason: str
) -> None:
    assert check(Programme(programme), facts=facts, age_band=band).reason == reason


@pytest.mark.parametrize(
    ("facts", "band", "expected"),
    [
        (
            ["certificate"],
            "60-64",
            {"shuro_b", "shuro_a", "shuro_iko", "seikatsu_kunren", "chiiki_katsudo", "silver", "volunteer"},
        ),
        (
            ["certificate"],
            "65-69",
            {"shuro_b", "seikatsu_kunren", "chiiki_katsudo", "kaigo_yobo", "silver", "volunteer"},
        ),
        (["not_in_work_or_school", "hikikomori"], "45-49", {"saposute", "volunteer"}),
        (
            ["welfare", "not_in_work_or_school"],
            "45-49",
            {"shuro_junbi", "ichiji_seikatsu", "saposute", "volunteer"},
        ),
        (["not_in_work_or_school", "hikikomori"], "50-54", {"volunteer"}),
        (["hardship"], "15-19", {"shuro_junbi", "ichiji_seikatsu", "volunteer"}),
        ([], "40-44", {"volunteer"}),
    ],
)
def test_eligible_programmes_of_a_profile(facts: list[str], band: str, expected: set[str]) -> None:
    person = profile(facts=facts, age_band=band)
    assert set(eligible_programmes(facts=person.facts, age_band=person.age_band)) == expected
