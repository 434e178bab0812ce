"""Full-text queries over the passage index (FTS5), shared by both answer engines.

A question word becomes a quoted term (no query syntax gets through), looked for with its accents
when it was typed with them and the knowledge base writes it so. Candidates come from a cascade of
queries, rarest words first: the most precise (and fastest) query first, broadening only when it
finds too few passages.
"""
from __future__ import annotations

from .text import Token

RANKING_TERMS = 8  # the rarest words whose weights rank the candidates in the search
RARE_TERMS = 5  # the question's rarest words that find the candidates


def search_term(token: Token, df_exact: dict[str, int], df_folded: dict[str, int]) -> tuple[str, int]:
    """The FTS5 term for a question word, and how many passages hold it."""
    if token.marked and df_exact.get(token.exact):
        return 'exact : "' + token.exact.replace('"', "") + '"', df_exact[token.exact]
    return '"' + token.folded.replace('"', "") + '"', df_folded.get(token.folded, 0)


def cascade(terms: list[str]) -> list[str]:
    """FTS5 queries for terms rarest first: passages with all three rarest words, ranked by the
    rarest few; then with the two rarest; then with any of the rarest few; then with any word."""
    ranking = " OR ".join(terms[:RANKING_TERMS])
    queries = [f"({' AND '.join(terms[:k])}) AND ({ranking})" for k in (3, 2) if len(terms) >= k]
    queries.append(" OR ".join(terms[:RARE_TERMS]))
    if len(terms) > RARE_TERMS:
        queries.append(" OR ".join(terms))
    return queries
