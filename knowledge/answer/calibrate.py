"""Fitting the decision model (``run_bot.py kb calibrate``): rows, folds by page, the operating point.

Rows are candidate sentences, labelled 1 when the sentence holds the expected answer. They come from

* labelled question sets (``calibration.toml`` names each set and the pages it is asked over);
* questions generated from the pages themselves: for a sentence holding a date, a counted number or a
  person, a question made of some of its words and the matching question word, typed with or without
  accents (positives where a candidate holds the item), and near misses of those questions with a
  year, an edition, a province or a rank swapped for one the page does not have, or asking how many of
  a thing the page never names (all negatives).

The ranker is a logistic regression (fitted with scipy); its weights keep the direction each feature can
only push (``reading.FEATURE_SIGNS``: evidence never counts against a sentence, a conflict never for it).
The decider is an additive model, boosted one-split trees (scikit-learn's HistGradientBoostingClassifier),
each feature's steps kept to its direction the same way: over the cross-validated labelled questions it
answers more of them right than a logistic regression at the same share of wrong answers (a level of the
ranker's confidence, a margin past some size, count for more than a straight line gives them). Both
libraries are needed only here. Cross-validation keeps every page in one fold (labelled questions
without a page are spread over the folds), is repeated with the pages dealt into folds three ways, and
scores each held-out labelled question as the bot would answer it. The operating point is the lowest
probability at which cross-validated wrong answers stay at or under ``MAX_WRONG`` of the labelled
questions.
"""
from __future__ import annotations

import json
import math
import random
import re
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..evaluation import load_questions, norm
from ..ingest.importer import import_paths
from ..local_time import shown_date
from ..store import KnowledgeBase
from ..text import fold
from .decision import (DECISION_FEATURES, DECISION_SIGNS, WEIGHTS_FILE, Additive, Linear, Model, Step,
                       decision_features)
from .engine import AnswerEngine, Focus, may_answer, reply_of
from .lexicon import HOME_PROVINCE, PROVINCES
from .question import PAGE_TYPES, is_english
from .reading import FEATURE_SIGNS, FEATURES, MONTH_NAMES, ArticleView, Reading, split_sentences

MAX_WRONG = 0.03
LABELLED_WEIGHT = 4.0  # a labelled row counts as this many generated ones
FOLDS = 5
REPEATS = 3  # cross-validation repeated with the pages dealt into folds this many ways
DECIDER_TREES = 300  # one-split trees of the decider, each adding a tenth of its step (the learning rate)
SPEC_FILE = Path(__file__).with_name("calibration.toml")
_COUNTED_RE = re.compile(r"\b(\d[\d.,]*)\s+([a-zà-ỹđ]+(?:\s+[a-zà-ỹđ]+)?)")
_NUMBER_RE = re.compile(r"\b\d+\b")


@dataclass(frozen=True)
class _Language:
    """How a citizen asks about a page in its language: what a date and a person look like in its
    sentences, the question words, openers, and how a near miss names a province or a deputy."""
    date: re.Pattern
    person: re.Pattern
    question_words: dict[str, list[str]]
    cue_first: dict[str, bool]  # the question word opens the question (else it ends it, or either for None)
    openers: list[str]
    province: str  # "{}" is the province
    deputy: tuple[str, str]  # pattern of a head's role, and its deputy ("\1" is the role)
    bare: bool  # sometimes typed without accents


_VIETNAMESE = _Language(
    re.compile(r"\b\d{1,2}/\d{1,2}/(?:19|20)\d{2}\b"),
    re.compile(r"\b(?:[Ôô]ng|[Bb]à)\s+((?:[A-ZĐÀ-Ỹ][a-zà-ỹđ]+\s*){2,4})"),
    {"when": ["ngày nào", "khi nào", "vào thời gian nào"], "count": ["bao nhiêu", "mấy"], "who": ["ai", "người nào"]},
    {"when": False, "count": False},
    ["", "", "", "cho mình hỏi ", "ad ơi ", "cho em hỏi "],
    " ở {}",
    (r"\b(giám đốc|giam doc|chủ tịch|chu tich)\b", r"phó \1"),
    True)
_ENGLISH = _Language(
    re.compile(rf"\b\d{{1,2}} (?:{MONTH_NAMES}) (?:19|20)\d{{2}}\b|\b(?:{MONTH_NAMES}) \d{{1,2}}, (?:19|20)\d{{2}}\b"),
    re.compile(r"\b(?:Mr|Ms|Mrs|Dr)\.?\s+((?:[A-Z][a-z]+\s*){2,4})"),
    {"when": ["when", "on what date"], "count": ["how many"], "who": ["who"]},
    {"when": True, "count": True, "who": True},
    ["", "", "", "hi, ", "could you tell me "],
    " in {}",
    (r"\b(director|chairman|chair)\b", r"deputy \1"),
    False)


@dataclass
class Asked:
    """One question's candidate readings, and which of them hold the answer."""
    question: str
    group: str
    labelled: bool  # from a labelled set (scored in cross-validation), not generated
    expects: list[str]  # empty: the bot must abstain
    readings: list[Reading]
    correct: list[bool]
    focus: Focus  # what of the question a reply too long to show is cut to
    # A question about a page itself ("bài … đăng ngày nào"): what the reply says first of each page (article id
    # → its date and byline), the answer asked for; empty for other questions.
    said_first: dict[int, str] = field(default_factory=dict)

    def reply(self, best: Reading, text: str) -> str:
        """The reply's text as the bot shows it (what it says first of a page asked about, then the text)."""
        return f"{self.said_first.get(best.article.article_id, '')} {text}"


def _holds(reading: Reading, expects: list[str], said_first: str = "") -> bool:
    text = norm(f"{said_first} {reading.window}")
    return any(norm(e) in text for e in expects)


def _page_facts(kb: KnowledgeBase, page: ArticleView) -> str:
    """A page's date as the bot writes it (day/month/year) and its byline: what a reply to a question about
    the page itself says first."""
    date = shown_date(page.published) if page.published else ""
    return f"{date} {kb.article_origin(page.article_id) or ''}"


def labelled_sets(root: Path, shared: Path) -> list[tuple[Path, list[Path]]]:
    """Each labelled question file of ``calibration.toml`` with the pages it is asked over, the project's
    own resolved from ``root``, the shared ones from ``shared``."""
    data = tomllib.loads(SPEC_FILE.read_text(encoding="utf-8"))
    resolve = lambda p: Path(p.replace("{shared}", str(shared))) if "{shared}" in p else root / p  # noqa: E731
    return [(resolve(s["questions"]), [resolve(p) for p in s["pages"]]) for s in data["set"]]


def _engine_for(pages: list[Path], cache: dict, workdir: Path) -> tuple[AnswerEngine, KnowledgeBase]:
    key = tuple(map(str, pages))
    if key not in cache:
        kb = KnowledgeBase.open(workdir / f"kb{len(cache)}.sqlite")
        import_paths(kb, pages)
        cache[key] = (AnswerEngine(kb), kb)
    return cache[key]


def ask(engine: AnswerEngine, question: str, expects: list[str], group: str, labelled: bool) -> Asked | None:
    """The candidates of one question, or None when the question never reaches the articles
    (small talk, a contact fact)."""
    match = engine.match(question)
    if match.kind in ("smalltalk", "contact", "empty"):
        return None
    read, readings = engine.readings(question)
    said_first = ({r.article.article_id: _page_facts(engine.kb, r.article) for r in readings}
                  if read.types & PAGE_TYPES else {})
    correct = [bool(expects) and _holds(r, expects, said_first.get(r.article.article_id, "")) for r in readings]
    return Asked(question, group, labelled, expects, readings, correct, Focus(read), said_first)


def labelled_questions(root: Path, shared: Path, cache: dict, workdir: Path) -> list[Asked]:
    asked = []
    for questions, pages in labelled_sets(root, shared):
        engine, _ = _engine_for(pages, cache, workdir)
        for number, item in enumerate(load_questions(questions)):
            if "kind" in item and not ("expect_any" in item or "expect_all" in item):
                continue
            expects = item.get("expect_any") or item.get("expect_all") or []
            group = item.get("page") or f"{questions.name}:{number % FOLDS}"
            found = ask(engine, item["q"], expects if item.get("answered") is not False else [], group, True)
            if found:
                asked.append(found)
    return asked


def generated_questions(engine: AnswerEngine, kb: KnowledgeBase, seed: int = 7) -> list[Asked]:
    """Questions made from the pages' own sentences, and near misses of them."""
    rng = random.Random(seed)
    pages = []
    for article in kb.iter_rows("SELECT id, source, title FROM articles"):
        body = " ".join(r["text"] for r in kb.iter_rows(
            "SELECT text FROM passages WHERE article_id = ? AND role = 'body'", [article["id"]]))
        pages.append((Path(article["source"]).name, article["title"], body))
    # What the pages count ("hồ sơ", "doanh nghiệp"): a question may ask a page for one it does not count.
    counted = sorted({m.group(2) for _, _, body in pages for m in _COUNTED_RE.finditer(body)})
    asked = []
    for group, title, body in pages:
        folded_body = fold(body + " " + title)
        language = _ENGLISH if is_english(body[:3000]) else _VIETNAMESE
        for sentence in split_sentences(body):
            made = _question_from(sentence, title, rng, language)
            if not made:
                continue
            question, expect, head = made
            found = ask(engine, question, [expect], group, False)
            if found:
                asked.append(found)
            misses = [_near_miss(question, folded_body, rng, language),
                      _other_count(question, head, counted, folded_body, rng)]
            miss = rng.choice([m for m in misses if m] or [None])
            if miss:
                found = ask(engine, miss, [], group, False)
                if found:
                    asked.append(found)
    return asked


def _question_from(sentence: str, title: str, rng: random.Random,
                   language: _Language = _VIETNAMESE) -> tuple[str, str, str] | None:
    """A citizen-like question about one item of the sentence, in the page's language, the item expected
    in the answer, and the noun counted when the question asks "how many" (else "")."""
    items = []
    for m in language.date.finditer(sentence):
        items.append(("when", m.group(0), m.span()))
    for m in _COUNTED_RE.finditer(sentence):
        if not language.date.search(m.group(0)) and len(m.group(1)) < 12:
            items.append(("count", m.group(1), m.span(1), m.group(2)))
    for m in language.person.finditer(sentence):
        items.append(("who", m.group(1).strip(), m.span(1)))
    if not items:
        return None
    kind, value, (start, end), *head = rng.choice(items)
    rest = (sentence[:start] + " " + sentence[end:]).split()
    words = [w.strip(".,;:()“”\"") for w in rest]
    words = [w for w in words if len(w) > 1 and not w.isdigit()]
    if len(words) < 4:
        return None
    size = min(len(words), rng.randint(3, 6))
    begin = rng.randrange(0, len(words) - size + 1)
    chosen = words[begin:begin + size]
    title_words = [w for w in title.split() if len(w) > 2]
    if title_words and rng.random() < 0.5:
        chosen.insert(0, rng.choice(title_words))
    cue = rng.choice(language.question_words[kind])
    first = language.cue_first.get(kind)
    if first is None:
        first = rng.random() < 0.5
    asked = f"{cue} {head[0]}" if kind == "count" else cue
    if first:
        text = f"{asked} " + " ".join(chosen)
    else:
        text = " ".join(chosen) + (f" là {asked}" if kind == "who" else f" {asked}")
    text = rng.choice(language.openers) + text.lower()
    if language.bare and rng.random() < 0.5:
        text = fold(text)
    return text, value, head[0] if kind == "count" else ""


def _near_miss(question: str, folded_page: str, rng: random.Random, language: _Language = _VIETNAMESE) -> str | None:
    """The question about something the page does not hold: another year or number, another
    province, or the deputy instead of the head."""
    numbers = _NUMBER_RE.findall(question)
    if numbers and rng.random() < 0.6:
        old = rng.choice(numbers)
        value = int(old)
        for _ in range(10):
            new = str(value + rng.choice([-3, -2, -1, 1, 2, 3, 5]) if value < 1900 else value + rng.randint(-6, 6))
            if new != old and new not in folded_page.split() and int(new) > 0:
                return re.sub(rf"\b{old}\b", new, question, count=1)
    absent = [p for p in sorted(PROVINCES) if p not in folded_page and p != HOME_PROVINCE]
    if absent and rng.random() < 0.7:
        return question + language.province.format(rng.choice(absent))
    role, deputy = language.deputy
    deputised = re.sub(role, deputy, question, count=1)
    return deputised if deputised != question else None


def _other_count(question: str, head: str, counted: list[str], folded_page: str, rng: random.Random) -> str | None:
    """The "how many" question asked about a thing the page never counts nor names."""
    bare = fold(question) == question
    typed = fold(head) if bare else head
    others = [c for c in counted if fold(c) not in folded_page]
    if not head or not question.endswith(typed) or not others:
        return None
    other = rng.choice(others)
    return question[: -len(typed)] + (fold(other) if bare else other)


def _rows(asked: list[Asked]):
    """Reading features, labels, and the weight of each row (a labelled question counts more than a
    generated one: it is how citizens really ask)."""
    import numpy as np
    xs, ys, ws = [], [], []
    for a in asked:
        for reading, correct in zip(a.readings, a.correct):
            xs.append([reading.features[f] for f in FEATURES])
            ys.append(int(correct))
            ws.append(LABELLED_WEIGHT if a.labelled else 1.0)
    return np.array(xs), np.array(ys), np.array(ws)


def _fit(x, y, w, features: tuple[str, ...], signs: dict[str, int] | None = None) -> Linear:
    """A weighted logistic regression with an L2 penalty of 1 on the weights (scikit-learn's default),
    each weight kept to its feature's sign when ``signs`` gives one (1: can only raise the probability,
    -1: can only lower it)."""
    import numpy as np
    from scipy.optimize import minimize
    size = x.shape[1]

    def loss(params):
        weights, bias = params[:size], params[size]
        z = x @ weights + bias
        gradient = (1.0 / (1.0 + np.exp(-z)) - y) * w
        value = (w * (np.logaddexp(0, -z) * y + np.logaddexp(0, z) * (1 - y))).sum() + 0.5 * weights @ weights
        return value, np.concatenate([x.T @ gradient + weights, [gradient.sum()]])
    bound = {1: (0.0, None), -1: (None, 0.0)}
    bounds = [bound.get((signs or {}).get(f, 0), (None, None)) for f in features] + [(None, None)]
    fitted = minimize(loss, np.zeros(size + 1), jac=True, method="L-BFGS-B", bounds=bounds,
                      options={"maxiter": 5000})
    return Linear({f: round(float(c), 4) for f, c in zip(features, fitted.x[:size])}, round(float(fitted.x[size]), 4))


def _ranked(a: Asked, ranker: Linear) -> list[tuple[Reading, bool]]:
    for reading in a.readings:
        reading.probability = ranker.probability(reading.features)
    return sorted(zip(a.readings, a.correct), key=lambda pair: -pair[0].probability)


def _decision_rows(asked: list[Asked], ranker: Linear):
    import numpy as np
    xs, ys, ws = [], [], []
    for a in asked:
        if not a.readings:
            continue
        ranked = _ranked(a, ranker)
        features = decision_features([r for r, _ in ranked])
        xs.append([features[f] for f in DECISION_FEATURES])
        ys.append(int(ranked[0][1] and bool(a.expects)))
        ws.append(LABELLED_WEIGHT if a.labelled else 1.0)
    return np.array(xs), np.array(ys), np.array(ws)


def _fit_additive(x, y, w, features: tuple[str, ...], signs: dict[str, int]) -> Additive:
    """Boosted one-split trees, each feature's splits only ever raising the probability with the feature
    (sign 1) or lowering it (sign -1), gathered into one step function per feature."""
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier
    boosted = HistGradientBoostingClassifier(
        max_depth=1, max_iter=DECIDER_TREES, learning_rate=0.1, l2_regularization=1.0, early_stopping=False,
        monotonic_cst=[signs.get(f, 0) for f in features], random_state=0).fit(x, y, sample_weight=w)
    bias = float(np.ravel(boosted._baseline_prediction)[0])
    splits: dict[str, list[tuple[float, float, float]]] = {}  # feature → (threshold, value at or below, above)
    for [tree] in boosted._predictors:
        root = tree.nodes[0]
        if root["is_leaf"]:
            bias += float(root["value"])
            continue
        left, right = tree.nodes[root["left"]], tree.nodes[root["right"]]
        splits.setdefault(features[root["feature_idx"]], []).append(
            (float(root["num_threshold"]), float(left["value"]), float(right["value"])))
    steps = {}
    for feature, found in splits.items():
        above = sorted({t for t, _, _ in found})
        values = [sum(high if t <= edge else low for t, low, high in found) for edge in [-math.inf, *above]]
        steps[feature] = Step(tuple(above), tuple(round(v, 6) for v in values))
    additive = Additive(steps, round(bias, 6))
    mine = np.array([additive.probability(dict(zip(features, row))) for row in x])
    if not np.allclose(mine, boosted.predict_proba(x)[:, 1], atol=1e-4):  # a change in the library's trees
        raise RuntimeError("the decider's step functions do not reproduce the fitted trees")
    return additive


def fit(asked: list[Asked], operating_point: float = 0.5) -> Model:
    ranker = _fit(*_rows(asked), FEATURES, FEATURE_SIGNS)
    decider = _fit_additive(*_decision_rows(asked, ranker), DECISION_FEATURES, DECISION_SIGNS)
    return Model(ranker, decider, operating_point)


def outcomes(asked: list[Asked], model: Model) -> list[tuple[float, bool, bool]]:
    """Per question as the bot would answer it: (confidence, the reply holds the answer, the question
    must be answered)."""
    out = []
    for a in asked:
        if not a.readings:
            out.append((0.0, False, bool(a.expects)))
            continue
        readings = [r for r, _ in _ranked(a, model.ranker)]
        best, text = reply_of(readings, a.focus)
        right = any(norm(e) in norm(a.reply(best, text)) for e in a.expects)
        out.append((model.confidence(readings) if may_answer(a.focus.question, best, text) else 0.0, right,
                    bool(a.expects)))
    return out


def figures(results: list[tuple[float, bool, bool]], point: float) -> dict[str, float]:
    answerable = [o for o in results if o[2]]
    refusals = [o for o in results if not o[2]]
    right = sum(1 for p, ok, _ in answerable if p >= point and ok)
    abstained = sum(1 for p, _, _ in refusals if p < point)
    wrong = sum(1 for p, ok, need in results if p >= point and not (ok and need))
    return {"answered_right": right / max(len(answerable), 1), "abstained_right": abstained / max(len(refusals), 1),
            "wrong": wrong / max(len(results), 1), "questions": len(results)}


def choose_point(results: list[tuple[float, bool, bool]]) -> float:
    """The lowest operating point whose wrong answers stay within the budget."""
    for point in [i / 100 for i in range(5, 100)]:
        if figures(results, point)["wrong"] <= MAX_WRONG:
            return point
    return 0.99


def calibrate(root: Path, shared: Path, report=print) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cache: dict = {}
        labelled = labelled_questions(root, shared, cache, Path(tmp))
        report(f"labelled questions that reach the articles: {len(labelled)}")
        generated = []
        for engine, kb in cache.values():
            generated += generated_questions(engine, kb)
        report(f"generated questions: {len(generated)} ({sum(1 for a in generated if not a.expects)} near misses)")
        for _, kb in cache.values():
            kb.close()
    everything = labelled + generated
    groups = sorted({a.group for a in everything})
    held_out = []
    for seed in range(REPEATS):  # each repetition deals the pages into folds anew: a steadier estimate
        fold_of = {g: i % FOLDS for i, g in enumerate(random.Random(seed).sample(groups, len(groups)))}
        for k in range(FOLDS):
            model = fit([a for a in everything if fold_of[a.group] != k])
            held_out += outcomes([a for a in labelled if fold_of[a.group] == k], model)
    point = choose_point(held_out)
    cv = figures(held_out, point)
    report(f"cross-validated by page on the labelled questions at the operating point {point:.2f}: answered right "
           f"{cv['answered_right']:.1%}, abstained right {cv['abstained_right']:.1%}, wrong {cv['wrong']:.1%} "
           f"of {len(labelled)} questions, each held out {REPEATS} times")
    final = fit(everything, point)
    return {
        "note": "fitted by run_bot.py kb calibrate; do not edit by hand",
        "operating_point": point,
        "ranker": {"bias": final.ranker.bias, "weights": final.ranker.weights},
        "decider": {"bias": final.decider.bias, "steps": {
            name: {"above": list(step.above), "values": list(step.values)} for name, step in final.decider.steps.items()}},
        "fitted_on": {"labelled_questions": len(labelled), "generated_questions": len(generated)},
        "cross_validated": {k: round(v, 4) for k, v in cv.items()},
    }


def write(result: dict, path: Path = WEIGHTS_FILE) -> None:
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
