"""Reasons a coordinator can trust: 「意味が近い」 only above the model's calibrated threshold."""

import psycopg

from matcher.config import DEFAULT_MODEL, Settings
from matcher.matching.calibration import calibration
from matcher.matching.lexical import GENERIC
from matcher.matching.propose import describe, propose
from matcher.profiles.store import iter_profiles

MEANING = "意味が近い"


def test_meaning_is_claimed_only_above_the_calibrated_threshold(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    threshold = calibration(DEFAULT_MODEL).reason
    assert threshold is not None
    claimed = unclaimed_above = 0
    for profile in iter_profiles(seeded_conn):
        if profile.status != "open":
            continue
        result = propose(seeded_conn, seeded_settings, profile_id=profile.id, top=None)
        for proposal in result.proposals:
            says = any(MEANING in r for r in proposal.reasons)
            dense = proposal.candidate.dense or 0.0
            if says:
                claimed += 1
                assert dense >= threshold, (profile.id, proposal.candidate.id, dense)
            elif dense >= threshold and not any("が活動内容と重なります" in r for r in proposal.reasons):
                unclaimed_above += 1
    assert claimed > 0  # the reason does appear where it is earned
    assert unclaimed_above == 0


def test_an_uncalibrated_model_never_claims_meaning(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    profile = next(p for p in iter_profiles(seeded_conn) if p.status == "open")
    result = propose(seeded_conn, seeded_settings, profile_id=profile.id, top=None)
    describe(seeded_conn, result.proposals, profile, "/models/some-new-model")
    assert not any(MEANING in r for p in result.proposals for r in p.reasons)


def test_shared_word_reasons_never_name_a_generic_word(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    for profile in iter_profiles(seeded_conn):
        if profile.status != "open":
            continue
        for proposal in propose(seeded_conn, seeded_settings, profile_id=profile.id, top=None).proposals:
            for reason in proposal.reasons:
                if "が活動内容と重なります" in reason:
                    quoted = reason.split("興味・希望の")[1].split("が活動内容")[0]
                    words = [w.strip("「」") for w in quoted.split("」「")]
                    for word in words:
                        assert word.split("（")[0] not in GENERIC, (profile.id, reason)


def test_every_exclusion_code_has_one_text_and_one_japanese_label() -> None:
    from matcher.core.vocabulary import HARD_CONSTRAINTS, LABELS, ExclusionCode
    from matcher.matching.reasons import EXCLUSION_TEXTS
    from matcher.reports.gaps import CODE_LABELS

    assert set(EXCLUSION_TEXTS) == {str(c) for c in ExclusionCode}
    assert set(LABELS[ExclusionCode]) == {str(c) for c in ExclusionCode}
    assert set(CODE_LABELS) == {str(c) for c in HARD_CONSTRAINTS}
    assert all(not label.isascii() for label in LABELS[ExclusionCode].values())
