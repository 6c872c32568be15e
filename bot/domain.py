"""Is the message about the clinic's domain at all? A linear model on the question's embedding.

Off-topic requests (the weather, a restaurant, a recipe, homework) often share a word or a place
name with the articles ("Bordeaux", "prix", "laser"), enough for retrieval and the abstention model to
answer them. The embedding says what the message is about as a whole: a logistic model over it,
fitted by ``bench/calibrate_domain.py`` on patients' questions and on everyday off-topic requests
(``tests/eval/domain.jsonl``), refuses a message whose off-topic probability reaches a threshold set
so that almost no patient question is refused (the ``domain`` section of the calibration file).
Practical questions a clinic does not cover (gift vouchers, parking) stay in the domain: the
articles' own coverage decides those.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class DomainModel:
    weights: tuple[float, ...]
    bias: float
    threshold: float

    def off_topic_probability(self, vector: np.ndarray) -> float:
        z = float(vector @ self.weights) + self.bias
        return 1 / (1 + math.exp(-max(-50.0, min(50.0, z))))

    def off_topic(self, vector: np.ndarray | None) -> tuple[bool, float]:
        if vector is None:
            return False, 0.0
        p = self.off_topic_probability(vector)
        return p >= self.threshold, p


def domain_from_dict(values: dict) -> DomainModel:
    return DomainModel(tuple(values["weights"]), float(values["bias"]), float(values["threshold"]))
