"""Full-text queries over the passage index (FTS5), shared by both answer engines.

A question word becomes a quoted term (no query syntax gets through), looked for with its accents
when it was typed with them and the knowledge base writes it so. Candidates come from a cascade of
queries, rarest words first: the most precise (and fastest) query first, broadening only when it
finds too few passages.

A word in half the index rows or more weighs nothing in FTS5's ``bm25()`` (its idf is clamped to 1e-6),
yet ranking by it, or finding passages by it alone, costs a pass over its whole posting list and a score
for each of its passages ("tại", "khoa", "công" at 10,000 articles: tens of milliseconds). Such a common
word is left out of the ranking and OR parts of the queries (never out of their AND part), where it could
only break exact ties; an OR query without it that finds too few passages is run with it (in a small
knowledge base most words are common, and a passage holding only those is still a candidate).
"""
from __future__ import annotations

from typing import NamedTuple

from .text import Token

RANKING_TERMS = 8  # the rarest words whose weights rank the candidates in the search
RARE_TERMS = 5  # the question's rarest words that find the candidates
COMMON_SHARE = 0.5  # from this share of the index rows, FTS5's bm25 gives a word no weight (idf <= 0)
SCORED_ROWS = 2_000  # rows an OR query may score (about a microsecond each) before it requires its rarest words


def search_term(token: Token, df_exact: dict[str, int], df_folded: dict[str, int]) -> tuple[str, int]:
    """The FTS5 term for a question word, and how many passages hold it."""
    if token.marked and df_exact.get(token.exact):
        return 'exact : "' + token.exact.replace('"', "") + '"', df_exact[token.exact]
    return '"' + token.folded.replace('"', "") + '"', df_folded.get(token.folded, 0)


class Query(NamedTuple):
    """An FTS5 query, and the fuller one to run when it finds too few passages (None: none)."""
    text: str
    fuller: str | None = None


def common_terms(terms: list[tuple[str, int]], index_rows: int) -> frozenset[str]:
    """The terms (with the passages holding them) that half the index rows or more hold: bm25 gives them
    no weight. A document count of live passages never exceeds FTS5's own, which also counts retired
    articles' rows, so FTS5 finds such a term in at least as many rows."""
    return frozenset(term for term, df in terms if index_rows and df >= COMMON_SHARE * index_rows)


def cascade(terms: list[tuple[str, int]], common: frozenset[str] = frozenset(), limit: int = 40) -> list[Query]:
    """FTS5 queries for terms (with the passages holding them) rarest first: passages with all three rarest
    words and one more of the rarest few, ranked by those (every passage found holds the three: the others
    tell them apart); then the same with the two rarest; then passages with any of the rarest few; then with
    any word. ``common`` terms are left out of the ranking and OR parts, and an OR query whose words' passages
    together pass ``SCORED_ROWS`` requires one of its rarest words (:func:`_any_of`), those holding ``limit``
    passages at least (the passages a search returns)."""
    words = [t for t, _ in terms]
    ranking = [t for t in words[:RANKING_TERMS] if t not in common]
    queries = []
    for k in (3, 2):
        if len(words) >= k:
            required = f"({' AND '.join(words[:k])})"
            others = [t for t in ranking if t not in words[:k]]
            queries.append(Query(f"{required} AND ({' OR '.join(others)})" if others else required))
    for any_of in [terms[:RARE_TERMS]] + ([terms] if len(terms) > RARE_TERMS else []):
        kept = [(t, df) for t, df in any_of if t not in common] or any_of
        everything = " OR ".join(t for t, _ in any_of)
        query = _any_of(kept, limit)
        queries.append(Query(query, everything if query != everything else None))
    return queries


def _any_of(terms: list[tuple[str, int]], limit: int) -> str:
    """An OR query over terms rarest first. Ranking every passage that holds any of them costs a score for each
    (``bm25()`` reads each one's length): past ``SCORED_ROWS`` such passages, a passage must also hold one of the
    rarest words, as many of them as stay within that many passages or as hold ``limit`` of them, and the
    others only rank them."""
    anything = " OR ".join(t for t, _ in terms)
    rows, rare = 0, []
    for term, df in terms:
        if rare and rows + df > SCORED_ROWS and rows >= limit:
            break
        rare.append(term)
        rows += df
    if len(rare) == len(terms):
        return anything
    return f"({' OR '.join(rare)}) AND ({anything})"
