"""Stage 4, deciding: which candidate sentence answers, and whether it is good enough.

Two small models, fitted by ``run_bot.py kb calibrate`` (``calibrate.py``) and kept in ``weights.json``
beside this file, read once at start-up:

* the *ranker*, a logistic regression, gives each candidate sentence the probability that it holds the
  answer, from the reading features (``reading.FEATURES``);
* the *decider* gives the probability that the best sentence is a right answer, from the question's
  view of the race (``DECISION_FEATURES``): how sure the ranker is, its margin over the best sentence of
  another page, its share of the five best, and the best sentence's own reading features. It is
  additive: each feature adds a step function of its value (``Additive``), rising or falling only in
  the feature's direction, so that a confidence past some level may count for much more than below it.

The only hand-set number is the operating point stored with the weights, chosen at calibration for
at most 3% wrong answers.
"""
from __future__ import annotations

import json
import math
from bisect import bisect_left
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from rapidfuzz import fuzz

from .reading import FEATURE_SIGNS, FEATURES, Reading, agrees

WEIGHTS_FILE = Path(__file__).with_name("weights.json")
SAME_TEXT = 75  # token-set similarity (0-100) above which two sentences say the same thing
SHARE_RIVALS = 4  # the best share of the probability is taken among the best sentence and this many rivals
DECISION_FEATURES = ("confidence", "margin", "share") + FEATURES
# The ranker's confidence, its margin and its share can only raise the decider's probability; the
# reading features keep the direction they have for the ranker.
DECISION_SIGNS = {"confidence": 1, "margin": 1, "share": 1, **FEATURE_SIGNS}


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def says_the_same(one: Reading, other: Reading) -> bool:
    """Do two sentences (of two pages, mostly: an article and its copy) say the same thing?"""
    return fuzz.token_set_ratio(one.sentence.text, other.sentence.text) >= SAME_TEXT


def decision_features(readings: list[Reading]) -> dict[str, float]:
    """The decider's view of ranked readings (most probable first). A sentence its qualifiers rule out is
    no rival, nor one saying the same as the best: two pages that agree do not compete."""
    best = readings[0]
    rivals: list[Reading] = []  # the best SHARE_RIVALS of them
    other = None  # the probability of the best rival on another page
    for reading in readings[1:]:
        if len(rivals) == SHARE_RIVALS and other is not None:
            break  # compared no further: most readings are never a rival that counts
        if agrees(reading) and not says_the_same(reading, best):
            if len(rivals) < SHARE_RIVALS:
                rivals.append(reading)
            if other is None and reading.article is not best.article:
                other = reading.probability
    other = other or 0.0
    features = {name: best.features.get(name, 0.0) for name in DECISION_FEATURES}
    features["confidence"] = _logit(best.probability)
    features["margin"] = best.probability - other
    features["share"] = best.probability / (best.probability + sum(r.probability for r in rivals) or 1.0)
    return features


@dataclass(frozen=True)
class Linear:
    weights: dict[str, float]
    bias: float

    @cached_property
    def _nonzero(self) -> tuple[tuple[str, float], ...]:
        """The weights that count (a fit leaves many at 0): adding 0 changes no sum."""
        return tuple((name, w) for name, w in self.weights.items() if w)

    def probability(self, features: dict[str, float]) -> float:
        return _sigmoid(self.bias + sum(w * features.get(name, 0.0) for name, w in self._nonzero))


@dataclass(frozen=True)
class Step:
    """A step function of one feature: ``values[i]`` for a value above exactly ``i`` of the ascending
    ``above`` thresholds (at or below a threshold is below it)."""
    above: tuple[float, ...]
    values: tuple[float, ...]

    def __call__(self, value: float) -> float:
        return self.values[bisect_left(self.above, value)]


@dataclass(frozen=True)
class Additive:
    steps: dict[str, Step]
    bias: float

    def probability(self, features: dict[str, float]) -> float:
        return _sigmoid(self.bias + sum(step(features.get(name, 0.0)) for name, step in self.steps.items()))


@dataclass(frozen=True)
class Model:
    ranker: Linear
    decider: Additive
    operating_point: float  # answer when the decider's probability reaches this

    def rank(self, readings: list[Reading]) -> None:
        """Score every reading and sort them, most probable first."""
        for reading in readings:
            reading.probability = self.ranker.probability(reading.features)
        readings.sort(key=lambda r: -r.probability)

    def confidence(self, readings: list[Reading]) -> float:
        return self.decider.probability(decision_features(readings)) if readings else 0.0


def model_from(data: dict) -> Model:
    ranker, decider = data["ranker"], data["decider"]
    steps = {name: Step(tuple(map(float, step["above"])), tuple(map(float, step["values"])))
             for name, step in decider["steps"].items()}
    return Model(Linear({k: float(v) for k, v in ranker["weights"].items()}, float(ranker["bias"])),
                 Additive(steps, float(decider["bias"])), float(data["operating_point"]))


def load_model(path: Path = WEIGHTS_FILE) -> Model:
    return model_from(json.loads(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def default_model() -> Model:
    return load_model()


__all__ = ["FEATURES", "DECISION_FEATURES", "Additive", "Linear", "Model", "Step", "decision_features", "load_model",
           "model_from"]
