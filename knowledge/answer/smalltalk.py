"""Small talk recognised by intent: a message made (almost) only of small-talk words, or, when
nothing in the knowledge base answers it, a message holding an intent's key words.

"cảm ơn bot nhiều nha, giỏi quá", "thanks a lot", "bạn tên gì thế" are recognised whatever their
order or extra particles, because the test is what share of the message the intent's words cover,
not an exact phrase. A message with other content words ("cảm ơn, còn email của sở?") is a question.
"""
from __future__ import annotations

from ..text import Token, fold

# Intent → its words (bare forms). The first intent with a key word present wins, in this order.
_INTENTS: dict[str, tuple[str, str]] = {
    # intent: (key words that must appear, words that may accompany them)
    "thanks": ("cam on|cám ơn|thank|thanks|tks|camon|thank you", "nhieu|lam|rat|nha|nhe|a|gioi|hay|tuyet|"
               "qua|tot|xin|huu ich|chi tiet|da giup|so much|a lot|very|much|you|ban|em"),
    "goodbye": ("tam biet|bye|goodbye|hen gap lai|bua khac noi chuyen|noi chuyen sau|hen bua khac",
                "nhe|nha|a|hen|gap lai|thoi|chao|tiep|sau"),
    "identity": ("ten|la ai|robot|nguoi that|nguoi hay may|nguoi hay bot|who are you|your name|ai vay|ai day|ai the|"
                 "la gi|la nguoi|ai lam ra|ai tao ra|who made|who created|chat voi ai|"
                 "tra loi tu dong|ai dang tra loi", "ban|bot|may|em|la|gi|the|vay|a|ha|phai khong|co phai|chu|what|is|"
                                                    "are|you|your|dang|hay|that|tu dong|tra loi"),
    "capabilities": ("giup duoc gi|lam duoc gi|giup gi|lam gi|huong dan|help|tro giup|menu|biet gi|"
                     "lam duoc nhung gi|giup duoc nhung gi|biet nhung gi|tra loi duoc gi|"
                     "hoi gi|what can you do", "ban|bot|em|co the|duoc|nhung|cho|toi|minh|em|nhe|nhu the nao"),
    "greeting": ("xin chao|chao|hello|hi|hey|alo|good morning|chao buoi sang|chao buoi chieu|chao buoi toi|"
                 "co do khong|co o do khong|co ai khong|co ai o do khong",
                 "ban|ad|admin|bot|em|anh|chi|moi nguoi|ca nha|so|a|nhe|nha|oi"),
    "ack": ("ok|oke|okay|vang|da|u|uh|um|duoc roi|hieu roi|tot|tuyet|hay qua|gioi qua|good|great|haha|hihi|hehe",
            "a|nhe|nha|roi|qua|lam|ban|bot"),
    # calling the bot by a name with "ơi" and saying nothing else ("bot ơi", "ad ơi"): it answers the call
    "call": ("oi", "ban|ad|admin|bot|em|anh|chi|so|a"),
}
ADDRESS_WORDS = frozenset("ban bot ad admin em e anh chi oi a a nhe nha vay the nhi ha".split())
# Words that may stand inside an intent's phrase: who it is for, and what is asked about in general
# ("giúp được mình những việc gì" is "giúp được những gì").
_INSIDE = frozenset("minh toi em ban ad anh chi viec".split())
MIN_COVER = 0.8  # share of the message the intent's words must cover
LOOSE = ("thanks", "greeting", "goodbye")  # intents whose key words alone say what an unanswered message is


def _phrases(spec: str) -> dict[str, list[list[str]]]:
    """The phrases of a spec, by their first word."""
    by_first: dict[str, list[list[str]]] = {}
    for phrase in spec.split("|"):
        words = fold(phrase).split()
        by_first.setdefault(words[0], []).append(words)
    return by_first


_SPECS = {intent: (_phrases(keys), _phrases(extras)) for intent, (keys, extras) in _INTENTS.items()}


def _covered(words: list[str], phrases: dict[str, list[list[str]]]) -> set[int]:
    hit: set[int] = set()
    for i, word in enumerate(words):
        for phrase in phrases.get(word, ()):
            span = _phrase_at(words, i, phrase)
            if span:
                hit.update(span)
    return hit


def _phrase_at(words: list[str], start: int, phrase: list[str]) -> range | None:
    """The positions a phrase covers from ``start``, words of ``_INSIDE`` allowed between its words."""
    j = start
    for k, wanted in enumerate(phrase):
        while k and j < len(words) and words[j] != wanted and words[j] in _INSIDE:
            j += 1
        if j >= len(words) or words[j] != wanted:
            return None
        j += 1
    return range(start, j)


def smalltalk_intent(tokens: list[Token], strict: bool = True) -> str:
    """The small-talk intent of a message, or "" for a question. Strict: the intent's words make
    up the message. Not strict (for a message nothing else answered): an intent's key words open or
    close it ("chào ad, …", "…, cảm ơn nhiều"), not a word inside it ("hi" of "hi-tech park")."""
    words = [t.folded for t in tokens]
    if not words or len(words) > 16:
        return ""
    every_key = set().union(*(_covered(words, keys) for keys, _ in _SPECS.values()))
    for intent, (keys, extras) in _SPECS.items():
        key_hit = _covered(words, keys)
        if not key_hit:
            continue
        hit = every_key | _covered(words, extras) | {i for i, w in enumerate(words) if w in ADDRESS_WORDS}
        if strict and len(hit) / len(words) >= MIN_COVER:
            return intent
        if not strict and _at_an_end(key_hit, words, hit):
            return intent
    return ""


def _at_an_end(key_hit: set[int], words: list[str], hit: set[int]) -> bool:
    """Do the key words stand at the start or the end of the message, past address words ("ad ơi")?"""
    first = next((i for i in range(len(words)) if i not in hit or i in key_hit), 0)
    last = next((i for i in reversed(range(len(words))) if i not in hit or i in key_hit), len(words) - 1)
    return first in key_hit or last in key_hit


def unanswered_intent(tokens: list[Token]) -> str:
    """The small talk of a message nothing in the knowledge base answered: one of the intents whose key
    words alone say what the message is ("cảm ơn ad, thông tin bổ ích quá"), or ""."""
    intent = smalltalk_intent(tokens, strict=False)
    return intent if intent in LOOSE else ""
