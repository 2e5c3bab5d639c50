"""Who each existing programme serves (domain.md §5), as one table.

Age tests use the profile's 5-year band: a band is eligible only if every age in it is.
"""

from dataclasses import dataclass

from matcher.core.vocabulary import LABELS, Fact, Programme

FACT_SHORT = {
    Fact.certificate: "障害福祉サービス受給者証",
    Fact.disability_handbook: "障害者手帳",
    Fact.welfare: "生活保護受給",
    Fact.hardship: "生活困窮",
    Fact.not_in_work_or_school: "無業",
    Fact.hikikomori: "ひきこもり状態",
}


@dataclass(frozen=True)
class Rule:
    """A programme's simplified requirement: one of `facts` (if any) and an age range (if any)."""

    facts: frozenset[Fact] = frozenset()
    min_age: int | None = None
    max_age: int | None = None

    def describe_facts(self) -> str:
        """The facts part in Japanese, e.g. 「生活困窮または生活保護受給」."""
        return "または".join(FACT_SHORT[f] for f in sorted(self.facts))

    def describe_age(self) -> str:
        """The age part in Japanese, e.g. 「65歳未満」."""
        if self.min_age is not None and self.max_age is not None:
            return f"{self.min_age}〜{self.max_age}歳"
        if self.min_age is not None:
            return f"{self.min_age}歳以上"
        if self.max_age is not None:
            return f"{self.max_age + 1}歳未満"
        return ""

    def describe(self) -> str:
        """The whole requirement in Japanese, e.g. 「障害福祉サービス受給者証、65歳未満」."""
        return "、".join(p for p in (self.describe_facts(), self.describe_age()) if p) or "どなたでも"


RULES: dict[Programme, Rule] = {
    Programme.shuro_b: Rule(frozenset({Fact.certificate})),
    Programme.shuro_a: Rule(frozenset({Fact.certificate}), max_age=64),
    Programme.shuro_iko: Rule(frozenset({Fact.certificate}), max_age=64),
    Programme.seikatsu_kunren: Rule(frozenset({Fact.certificate})),
    Programme.shuro_junbi: Rule(frozenset({Fact.hardship, Fact.welfare})),
    Programme.ichiji_seikatsu: Rule(frozenset({Fact.hardship, Fact.welfare})),
    Programme.chiiki_katsudo: Rule(frozenset({Fact.certificate, Fact.disability_handbook})),
    Programme.kaigo_yobo: Rule(min_age=65),
    Programme.silver: Rule(min_age=60),
    Programme.saposute: Rule(frozenset({Fact.not_in_work_or_school}), min_age=15, max_age=49),
    Programme.volunteer: Rule(),
}


@dataclass(frozen=True)
class Eligibility:
    """Whether a profile meets a programme's requirement, and why, in Japanese."""

    programme: Programme
    eligible: bool
    reason: str


def band_range(age_band: str) -> tuple[int, int]:
    """(40, 44) for '40-44'."""
    low, high = age_band.split("-")
    return int(low), int(high)


def check(programme: Programme, *, facts: list[Fact] | list[str], age_band: str) -> Eligibility:
    """Eligibility of a person with these facts and age band for one programme."""
    rule = RULES[Programme(programme)]
    name = LABELS[Programme][programme]
    low, high = band_range(age_band)
    met = sorted(rule.facts & {Fact(f) for f in facts})
    if rule.facts and not met:
        return Eligibility(programme, False, f"{name}の対象要件（{rule.describe()}）に当てはまりません")
    if (rule.min_age is not None and low < rule.min_age) or (
        rule.max_age is not None and high > rule.max_age
    ):
        return Eligibility(
            programme, False, f"年齢帯 {age_band}歳 は{name}の年齢要件（{rule.describe_age()}）を満たしません"
        )
    ages = [f"年齢帯 {age_band}歳"] if rule.describe_age() else []
    basis = "、".join([FACT_SHORT[f] for f in met] + ages)
    return Eligibility(programme, True, f"{name}の対象要件（{basis or 'どなたでも'}）を満たします")


def eligible_programmes(*, facts: list[Fact] | list[str], age_band: str) -> list[Programme]:
    """Every programme the person is eligible for."""
    return [p for p in RULES if check(p, facts=facts, age_band=age_band).eligible]
