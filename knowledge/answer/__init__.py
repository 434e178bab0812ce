"""The answer engine, one module per stage: ``question`` (read the question), ``engine`` (find
candidates and orchestrate), ``reading`` (read candidate sentences), ``decision`` (the fitted
answer-or-abstain model), plus ``smalltalk``, ``lexicon``, ``vocabulary`` and ``calibrate``."""
from .engine import AnswerEngine, Match, Topic

__all__ = ["AnswerEngine", "Match", "Topic"]
