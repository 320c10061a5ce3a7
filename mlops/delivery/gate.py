"""The champion/challenger gate: may a challenger replace the version an environment runs?

The champion is the version pinned in the target environment. The challenger passes when its
metric beats the champion's by at least the promotion margin, in the metric's direction:
`challenger >= champion + margin` (maximize) or `challenger <= champion - margin` (minimize).
"""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class GateDecision:
    """The comparison of one challenger with one champion, and its outcome."""

    metric: str
    direction: str
    margin: float
    champion_version: int
    champion_value: float
    challenger_version: int
    challenger_value: float

    @property
    def required(self) -> float:
        """The value the challenger has to reach."""
        if self.direction == "maximize":
            return self.champion_value + self.margin
        return self.champion_value - self.margin

    @property
    def passed(self) -> bool:
        """Whether the challenger reaches `required` (float noise in champion ± margin ignored)."""
        if math.isclose(self.challenger_value, self.required, rel_tol=1e-9, abs_tol=1e-12):
            return True
        if self.direction == "maximize":
            return self.challenger_value > self.required
        return self.challenger_value < self.required

    def explain(self) -> str:
        """One line with both values, the margin and the outcome."""
        sign, comparison = ("+", ">=") if self.direction == "maximize" else ("-", "<=")
        verdict = "passes" if self.passed else "refused"
        return (
            f"champion/challenger gate {verdict}: "
            f"challenger version {self.challenger_version} has {self.metric} "
            f"{self.challenger_value:g}, champion version {self.champion_version} has "
            f"{self.champion_value:g}; with margin {self.margin:g} the challenger needs "
            f"{self.metric} {comparison} {self.champion_value:g} {sign} {self.margin:g} = "
            f"{self.required:.6g}"
        )
