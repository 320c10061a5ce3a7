"""The champion/challenger comparison on its own: direction, margin, and the boundary."""

import pytest

from mlops.delivery.gate import GateDecision


def decision(direction: str, champion: float, challenger: float, margin: float) -> GateDecision:
    return GateDecision("m", direction, margin, 3, champion, 4, challenger)


@pytest.mark.parametrize(
    ("direction", "champion", "challenger", "margin", "passed"),
    [
        ("maximize", 0.78, 0.79, 0.01, True),  # exactly champion + margin, despite float noise
        ("maximize", 0.78, 0.7899, 0.01, False),
        ("maximize", 0.91, 0.91, 0.0, True),  # a tie passes without a margin
        ("minimize", 52.0, 49.9, 2.0, True),
        ("minimize", 52.0, 50.0, 2.0, True),
        ("minimize", 52.0, 50.1, 2.0, False),
        ("minimize", 52.0, 53.0, 0.0, False),
    ],
)
def test_challenger_must_beat_the_champion_by_the_margin(direction, champion, challenger, margin, passed):
    assert decision(direction, champion, challenger, margin).passed is passed


def test_explanation_names_both_values_the_margin_and_the_bar():
    text = decision("minimize", 52.0, 50.1, 2.0).explain()

    assert text == (
        "champion/challenger gate refused: challenger version 4 has m 50.1, champion version 3 "
        "has 52; with margin 2 the challenger needs m <= 52 - 2 = 50"
    )
