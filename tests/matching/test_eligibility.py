"""Eligibility for existing programmes (domain.md §5), age tested on whole 5-year bands."""

import pytest

from matcher.matching.eligibility import check, eligible_programmes


@pytest.mark.parametrize(
    ("programme", "facts", "band", "eligible"),
    [
        ("shuro_b", ["certificate"], "40-44", True),
        ("shuro_b", ["disability_handbook"], "40-44", False),
        ("shuro_a", ["certificate"], "60-64", True),
        ("shuro_a", ["certificate"], "65-69", False),
        ("shuro_iko", ["certificate"], "60-64", True),
        ("shuro_iko", [], "30-34", False),
        ("seikatsu_kunren", ["certificate"], "70-74", True),
        ("shuro_junbi", ["hardship"], "40-44", True),
        ("shuro_junbi", ["welfare"], "50-54", True),
        ("shuro_junbi", ["hikikomori"], "40-44", False),
        ("ichiji_seikatsu", ["welfare"], "30-34", True),
        ("chiiki_katsudo", ["disability_handbook"], "30-34", True),
        ("chiiki_katsudo", ["hikikomori"], "30-34", False),
        ("kaigo_yobo", [], "65-69", True),
        ("kaigo_yobo", [], "60-64", False),
        ("silver", [], "60-64", True),
        ("silver", [], "55-59", False),
        ("saposute", ["not_in_work_or_school"], "15-19", True),
        ("saposute", ["not_in_work_or_school"], "45-49", True),
        ("saposute", ["not_in_work_or_school"], "50-54", False),
        ("saposute", ["not_in_work_or_school"], "10-14", False),
        ("saposute", ["hikikomori"], "20-24", False),
        ("volunteer", [], "85-89", True),
    ],
)
def test_eligibility_table(programme: str, facts: list[str], band: str, eligible: bool) -> None:
    assert check(programme, facts=facts, age_band=band).eligible is eligible


def test_reasons_name_the_requirement_in_japanese() -> None:
    assert check("shuro_junbi", facts=["hardship"], age_band="40-44").reason == (
        "就労準備支援事業の対象要件（生活困窮）を満たします"
    )
    assert check("shuro_a", facts=["certificate"], age_band="65-69").reason == (
        "年齢帯 65-69歳 は就労継続支援A型の年齢要件（65歳未満）を満たしません"
    )
    assert "受給者証" in check("shuro_b", facts=[], age_band="30-34").reason


def test_eligible_programmes_lists_every_programme_that_serves_the_person() -> None:
    found = eligible_programmes(facts=["welfare", "not_in_work_or_school"], age_band="45-49")
    assert set(found) == {"shuro_junbi", "ichiji_seikatsu", "saposute", "volunteer"}
