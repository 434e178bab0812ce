"""Stage 1, reading the question: the citizen's words as the knowledge base writes them.

The question goes through the same normaliser as passages and FAQ phrasings, after markup and
control characters are stripped and split abbreviations are joined ("KH CN" → "KHCN"). Then:

* typo correction, only for a word that neither the knowledge base nor the Vietnamese word list
  knows, or a real syllable the knowledge base lacks when a one-letter change makes it a known
  two-syllable word with its neighbour ("dien thoa" → "dien thoai"); never a real word otherwise;
* stop words, recognised on the accented form when the citizen typed accents, else on the bare
  form, where a bare form shared with a content word ("ban": bạn / giao ban) only weighs less;
* the question type (a slot to fill, never a veto), recognised the same way;
* qualifiers the answer must agree with: numbers (years, editions), provinces and named districts,
  wards and communes ("huyện Cờ Đỏ"), roles and "phó";
* a contact request parsed as entity + attribute ("email" of "phòng kinh tế Ô Môn").
"""
from __future__ import annotations

import html
import re
from bisect import bisect_left
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Callable
from os.path import commonprefix

from rapidfuzz import process
from rapidfuzz.distance import OSA

from ..contacts import is_department_at
from ..text import ORDINAL_MARKERS, Normalizer, Token, clean, exact_key, fold
from .initialisms import has_vowel
from .lexicon import (ADMINISTRATIVE_UNITS, AMBIGUOUS_BARE_STOPS, CALENDAR_WORDS, CONTACT_ATTRIBUTES, CONTRASTS,
                      DEPUTY_WORDS, ENGLISH_IRREGULAR_VERBS, ENGLISH_STOPS, MONEY_WORDS, NAME_HEADS,
                      PERCENT, PREPOSITIONS, PROVINCES, ROLE_WORDS, STOP_EXACT, STOP_FOLDED, TYPE_CUES, WEBSITE_NOUNS,
                      Cue, names_the_department)
from .vocabulary import spellings_by_fold, vocabulary

_PREPOSITIONS_EXACT = frozenset(exact_key(w) for w in PREPOSITIONS)
_PREPOSITIONS_FOLDED = frozenset(fold(w) for w in PREPOSITIONS)

UNIT_EXACT = frozenset(exact_key(w) for w in "huyện quận phường xã tỉnh ấp".split())
# Words after which a unit word is a level or a kind of place, not one named place ("cấp xã", "các tỉnh
# miền Tây", "mỗi huyện").
_GENERIC_BEFORE = "cấp các những mọi mỗi từng nhiều mấy"
GENERIC_UNIT_EXACT = frozenset(exact_key(w) for w in _GENERIC_BEFORE.split())
GENERIC_UNIT_FOLDED = frozenset(fold(w) for w in _GENERIC_BEFORE.split())

MARKUP_RE = re.compile(r"<[^<>]{0,200}>|[*_`#~|]+")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# "t9/2019", "T10-2024", "t5 năm 2024": a month as typed in a hurry (not "T2", Monday, nor "T1", a floor)
_SHORT_MONTH_RE = re.compile(r"\b[tT](1[0-2]|0?[1-9])(?=\s*[/\-.]\s*(?:19|20)?\d{2}\b|\s+n[aă]m\b)")
_WORD_RE = re.compile(r"[^\W\d_]+", re.UNICODE)
# Share of rarity a stop-word-like bare form keeps when it may also be a content word ("ban").
AMBIGUOUS_STOP_WEIGHT = 0.3
PAGE_TYPES = frozenset({"published", "origin"})  # questions about a page itself: when, and from where
MIN_STEM = 4  # letters an English word must keep to be read as a form of a longer one
ENGLISH_ENDING = 3  # letters of the longest regular English ending ("-ing"): "open" is "opened", "opening"
ENGLISH_SLIP_LETTERS = 8  # an English word this long, one letter from a word of the pages, is it mistyped
CHOICE_WORDS = frozenset({"hay", "hoac", "or"})  # "A hay B": a choice between two words


# How a word set holds a question word (``Term.probe``): its one-word synonyms, its longer synonym phrases, its
# two-syllable word, its accented form, its folded form, and whether the folded form alone holds it.
Probe = tuple[frozenset[str], tuple[tuple[str, ...], ...], tuple[str, str] | None, str | None, str, bool]


@dataclass(frozen=True)
class Term:
    """A content word of the question, with how much it counts."""
    token: Token
    position: int  # in ``Question.tokens``
    factor: float = 1.0  # < 1 for a bare form that may be a stop word
    corrected: bool = False
    alternates: tuple[tuple[str, ...], ...] = ()  # other phrases saying the same (folded words)
    spelt: bool = False  # typed with accents as a real syllable: another accenting of it is another word
    word: tuple[str, str] | None = None  # the two-syllable word it makes with a neighbouring term (folded):
    # found only where both stand side by side ("tuyển dụng" is not "tuyên truyền … ứng dụng")
    slip_for: str = ""  # a real syllable typed where one letter away makes a word of the pages ("kem tra")

    @cached_property
    def probe(self) -> Probe:
        """How a word set holds this word (``reading.held``), worked out once: its one-word and its longer
        phrases saying the same, its two-syllable word, the accented form to look for (when the accents typed
        make a real syllable), its folded form, and whether the folded form alone holds it (not for a syllable
        spelt with accents)."""
        token = self.token
        by_accents = token.marked and not token.exact.endswith("~")
        return (frozenset(phrase[0] for phrase in self.alternates if len(phrase) == 1),
                tuple(phrase for phrase in self.alternates if len(phrase) != 1), self.word,
                token.exact if by_accents else None, token.folded, not (by_accents and self.spelt))


@dataclass
class Question:
    text: str
    typed: list[Token]  # as written (abbreviations expanded), before typo correction
    tokens: list[Token]
    terms: list[Term]
    accented: bool
    types: set[str] = field(default_factory=set)
    head: str = ""  # the noun counted by "bao nhiêu X" (folded)
    money: bool = False  # the count asks for an amount of money ("bao nhiêu tiền", "kinh phí … bao nhiêu")
    duration: bool = False  # the count asks how long ("bao lâu", "how long"): a span of time answers it
    which: str = ""  # the noun asked about by "X nào", "X gì", "which X" (folded: "tinh", "linh vuc", "agency")
    english: bool = False  # asked in English (``is_english``)
    organisation: bool = False  # "who" asked as "cơ quan nào", "đơn vị nào": an organisation answers, not a person
    # "when" asked as "năm nào" / "tháng nào" / "ngày nào" ("year", "month", "day"): a date less precise does not
    # answer ("năm 2030" answers no "ký ngày mấy"); "" for "khi nào", "bao giờ", which any date answers
    when_unit: str = ""
    numbers: set[str] = field(default_factory=set)
    qualifiers: list[tuple[str, str]] = field(default_factory=list)  # (marker, number): ("lan", "13"),
    # ("year", "2019"), ("", "1780") for any other number; the answer's page must hold each
    measures: set[tuple[str, str]] = field(default_factory=set)  # a bare number and the word it counts: ("5", "sao")
    predicate: list[int] = field(default_factory=list)  # term indexes of X in "… có X không?"
    provinces: set[str] = field(default_factory=set)  # folded province names asked about
    places: set[str] = field(default_factory=set)  # "huyen co do", "phuong tan an": a unit and its name
    roles: set[str] = field(default_factory=set)  # folded role phrases ("giam doc")
    deputy: bool = False
    alternatives: dict[int, int] = field(default_factory=dict)  # of each set of ``CONTRASTS`` the question names
    # one alternative of, that alternative ("giải nhì": the prizes → the second)
    attributes: list[str] = field(default_factory=list)  # contact fields asked for
    # of those, the ones read from words that typed without accents also ask something else ("so may": "số máy",
    # "số mấy"): a reply need not give them in their form (``reading.holds_the_form``)
    loose_attributes: set[str] = field(default_factory=set)
    entity: list[Token] = field(default_factory=list)  # what the contact attributes are of
    refers_back: bool = False  # names someone or something by a pronoun ("ông ấy", "nó"): the conversation's topic

    @cached_property
    def folded(self) -> str:
        return " ".join(t.folded for t in self.tokens)

    @cached_property
    def department(self) -> tuple[int, int] | None:
        """The first and last position of the department's name ("sở khoa học và công nghệ"), if named."""
        found = is_department_at(self.folded)
        if found is None:
            return None
        start = self.folded[:found[0]].count(" ")
        return start, start + self.folded[found[0]:found[1]].count(" ")

    @property
    def names_no_topic(self) -> bool:
        """Does the question name nothing but the department ("sở khcn cần thơ làm gì")? Every page names it, so
        no page is told apart from the others by it."""
        return all(names_the_department(t.token) for t in self.terms)

    @cached_property
    def probes(self) -> tuple[Probe, ...]:
        """Each term's ``Term.probe``, in order (read once the question is read)."""
        return tuple(term.probe for term in self.terms)

    @property
    def content_folded(self) -> list[str]:
        return [t.token.folded for t in self.terms]


def strip_markup(text: str) -> str:
    """Pasted markup and control characters out, entities decoded, whitespace collapsed."""
    text = CONTROL_RE.sub(" ", MARKUP_RE.sub(" ", html.unescape(text)))
    return clean(text)


# What a chatty message says around its question: the asker introducing themself ("em là sinh viên năm 3 đang làm
# đề tài, …"), and thanks closing it ("…, em cảm ơn nhiều ạ"). Read on folded clauses.
_INTRODUCTION_RE = re.compile(r"^(?:(?:da|vang|xin chao|chao \w+) )*(?:em|minh|toi|chau|con|to) "
                              r"(?:la|dang|hien dang|hien la|moi)\b")
_THANKS_RE = re.compile(r"^(?:(?:da|em|minh|toi|chau) )*(?:cam on|thanks?|thank you)\b[^?]*$")
_CLAUSE_END_RE = re.compile(r"(?<=[,.;!?])\s+")


def _without_asides(text: str) -> str:
    """The message without the asides around its question (``_INTRODUCTION_RE``, ``_THANKS_RE``): their words
    ("sinh viên", "năm 3", "đề tài", "nhiều") are no part of what is asked."""
    clauses = _CLAUSE_END_RE.split(text.strip())
    if len(clauses) < 2:
        return text
    last = len(clauses) - 1
    kept = [clause for i, clause in enumerate(clauses)
            if not (i < last and _INTRODUCTION_RE.match(fold(clause).casefold()))
            and not (i == last and _THANKS_RE.match(fold(clause).casefold()))]
    return " ".join(kept) if kept else text


def cleaned_question(text: str) -> str:
    """A question as both engines read it: ``strip_markup``, its asides left out (``_without_asides``), a month typed
    short written out ("t9/2019" is "tháng 9/2019"), and typed without accents but for its "đ" ("đia chi so khcn":
    phone keyboards give "đ" apart), read as the same question typed without any."""
    text = _without_asides(strip_markup(text))
    text = _SHORT_MONTH_RE.sub(r"tháng \1" if is_accented(text) else r"thang \1", text)
    return text if is_accented(text) or "đ" not in text.casefold() else text.replace("đ", "d").replace("Đ", "D")


def join_split_abbreviations(text: str, abbreviations: dict[str, str]) -> str:
    """ "KH CN", "UB ND", "KH & CN" → one word when the pieces, typed in capitals or not all of them
    Vietnamese syllables, together make a known abbreviation."""
    vocab = vocabulary()
    words = list(_WORD_RE.finditer(text))
    # per word: short enough to be a piece, in capitals
    short = [len(w.group(0)) <= 4 for w in words]
    capital = [w.group(0).isupper() for w in words]
    folded = [fold(w.group(0)) if piece else "" for w, piece in zip(words, short)]

    def foreign(at: int) -> bool:
        """Not a Vietnamese syllable as typed."""
        return not vocab.is_syllable(folded[at], exact_key(words[at].group(0).casefold()))
    out, last = [], 0
    i = 0
    while i < len(words):
        joined = None
        for size in (3, 2):
            group = words[i:i + size]
            if len(group) < size:
                continue
            if not all(short[i:i + size]):
                continue  # abbreviations are made of short pieces
            gaps = [text[a.end():b.start()] for a, b in zip(group, group[1:])]
            if any(g.strip() not in ("", "&") for g in gaps):
                continue
            pieces = folded[i:i + size]
            key = next((candidate for candidate in ("&".join(pieces), "".join(pieces))
                        if candidate in abbreviations), None)  # looked up first: most pieces make none
            if key is not None and (all(capital[i:i + size]) or any(foreign(at) for at in range(i, i + size))):
                joined = (group, key)
                break
        if joined:
            group, key = joined
            out.append(text[last:group[0].start()] + key)
            last = group[-1].end()
            i += len(group)
        else:
            i += 1
    out.append(text[last:])
    return "".join(out)


def is_english(text: str) -> bool:
    """Written in English: typed without accents but for Vietnamese courtesy around it ("cho mình hỏi",
    "vậy ad"), and many of its words are no Vietnamese syllables (a word without a vowel is an
    abbreviation, "sdt", "khcn", not an English word)."""
    typed = []
    for word in _WORD_RE.findall(text):
        if _is_accented_word(word):
            if exact_key(word.casefold()) not in STOP_EXACT:
                return False  # an accented word that is no courtesy
        else:
            typed.append(word)
    words = [fold(w) for w in typed]
    foreign = sum(1 for w in words if not vocabulary().is_syllable(w) and has_vowel(w))
    return bool(words) and foreign >= max(1, 0.4 * len(words))


def capital_initialisms(text: str) -> set[str]:
    """The folded letters of the words without a vowel typed in capitals among words that are not ("Chi cục
    TĐC", "đợt thanh tra TĐC 2013"): initialisms, never slips to correct into a word. In a question typed all
    in capitals, capitals tell nothing."""
    words = re.findall(r"[^\W\d_]+", text)
    if all(w.isupper() for w in words):
        return set()
    return {folded for w in words if len(w) > 1 and w.isupper() and not has_vowel(folded := fold(w.casefold()))}


def _is_accented_word(word: str) -> bool:
    """Does one word carry diacritics ("đ" alone is no accent: phone keyboards give it apart)?"""
    return fold(word) != word.casefold().replace("đ", "d")


def is_accented(text: str) -> bool:
    """Did the citizen type diacritics? Most Vietnamese syllables carry one."""
    words = _WORD_RE.findall(text)
    marked = sum(1 for w in words if _is_accented_word(w))  # "đia chi": no accents typed
    return bool(words) and marked >= max(1, len(words) // 4)


def cue_matches(tokens: list[Token], cue: Cue, start: int, accented: bool) -> bool:
    """Does the cue phrase stand at ``start``? An unaccented token matches on its bare form, unless
    it makes a known two-syllable word with a neighbour that the cue does not ("may moc")."""
    if start + len(cue.exact) > len(tokens):
        return False
    for offset, (cue_exact, cue_folded) in enumerate(zip(cue.exact, cue.folded)):
        token = tokens[start + offset]
        if token.marked or (accented and token.folded != token.exact.rstrip("~")):
            if token.exact != cue_exact:
                return False
        elif token.folded != cue_folded or cue.accents_only:
            return False
        elif token.exact != cue_exact and _spelt_as_typed(tokens, start + offset):
            return False  # "cơ quan nào": the bare "quan" typed beside "cơ" is "quan", not the cue's "quận"
    if not any(t.marked for t in tokens[start:start + len(cue.exact)]) and cue.ambiguous:
        end = start + len(cue.exact)
        words = [t.folded for t in tokens]
        before, after = words[max(0, start - 2):start], words[end:end + 2]  # up to two neighbours each side
        beyond_before = tuple(before) if len(before) > 1 else None
        beyond_after = tuple(after) if len(after) > 1 else None
        if before and _makes_another_word((before[-1], cue.folded[0]), 1, cue.exact[0], beyond_before):
            return False
        if after and _makes_another_word((cue.folded[-1], after[0]), 0, cue.exact[-1], beyond_after):
            return False
    return True


def _makes_another_word(pair: tuple[str, str], side: int, exact: str, beyond: tuple[str, str] | None) -> bool:
    """Does the cue's bare edge syllable (at ``side`` of ``pair``; ``exact`` as the cue writes it) make another word of
    the language with its neighbour ("may moc" is "máy móc"), never written so with the cue's spelling, while the
    neighbour makes no word with its own other neighbour (``beyond``: "may de tai" is "mấy đề tài", not "máy đề")?"""
    vocab = vocabulary()
    return vocab.is_word(*pair) and all(s[side] != exact for s in vocab.spellings(*pair)) and not (
        beyond is not None and vocab.is_word(*beyond))


def _inflected(word: str, other: str) -> bool:
    """Are two English words forms of one ("chaired"/"chair", "receive"/"received")?"""
    short, long = sorted((word, other), key=len)
    return len(short) >= MIN_STEM and long.startswith(short)


def _long_slip(word: str, distance: int) -> bool:
    """Is an English word long enough that one letter away from a word of the pages it is that word
    mistyped ("Departmet", "rsolution")? Short ones are other words ("deal" is not "real")."""
    return distance == 1 and len(word) >= ENGLISH_SLIP_LETTERS


def _spelt_as_typed(tokens: list[Token], i: int) -> bool:
    """Does the token, as typed, make a known word with a neighbour typed with its accents?"""
    vocab = vocabulary()
    before = i > 0 and tokens[i - 1].marked and vocab.spelt_side_by_side(tokens[i - 1], tokens[i])
    after = i + 1 < len(tokens) and tokens[i + 1].marked and vocab.spelt_side_by_side(tokens[i], tokens[i + 1])
    return before or after


def by_first_word(cues: list[Cue]) -> dict[str, list[Cue]]:
    """Cues indexed by their first bare word: only those can start at a given word."""
    index: dict[str, list[Cue]] = {}
    for cue in cues:
        index.setdefault(cue.folded[0], []).append(cue)
    return index


TYPE_CUE_INDEX = by_first_word(TYPE_CUES)
CONTACT_CUE_INDEX = by_first_word(CONTACT_ATTRIBUTES)
_NAME_HEAD_INDEX = by_first_word(NAME_HEADS)


def find_cues(tokens: list[Token], cues: dict[str, list[Cue]], accented: bool) -> list[tuple[int, Cue]]:
    """Where the cues (indexed by their first word) stand in the question."""
    return [(start, cue) for start, token in enumerate(tokens) for cue in cues.get(token.folded, ())
            if cue_matches(tokens, cue, start, accented)]


def is_stop(token: Token, accented: bool, english: bool = False) -> bool | None:
    """True for a stop word, False for a content word, None for a bare form that may be either."""
    if token.marked:
        return token.exact in STOP_EXACT
    if token.folded in ENGLISH_STOPS:
        return None if vocabulary().is_syllable(token.folded) and not english else True
    if accented:  # a word typed without accents among accented ones is written as it is meant, and one no
        # accent could make a Vietnamese word ("hello", "admin") is as it would be in any question
        return token.folded in STOP_EXACT or (
            token.folded in STOP_FOLDED and not vocabulary().is_syllable(token.folded))
    if token.folded in STOP_FOLDED:
        return True
    return None if token.folded in AMBIGUOUS_BARE_STOPS else False


_MONEY = exact_key("tiền")
# The word of a "when" cue that says how precise a date it asks for ("năm nào", "tháng mấy", "ngày nào", "hôm nào")
_WHEN_UNITS = {"year": {"nam", "year"}, "month": {"thang", "month"}, "day": {"ngay", "hom", "date", "day"}}
_DURATION_CUES = frozenset({("bao", "lau"), ("how", "long")})  # count cues asking for a span of time
# Count cues asking for a span of time or a distance: they count no noun ("bao lâu thì xong", "how long is it").
_SPAN_CUES = _DURATION_CUES | {("bao", "xa"), ("how", "far")}


def _asks_money(noun: str, words: list[Token]) -> bool:
    """Does a counted noun (folded; ``words``: its first word and the next) ask for an amount of money: "tiền",
    "tiền thưởng", "kinh phí", not "tiến sĩ"? Typed without accents, "tien" is money unless it makes a word of the
    language with the next one that is never written "tiền" ("tien si")."""
    first = words[0]
    if first.folded != "tien":
        return noun in MONEY_WORDS
    if first.marked:
        return first.exact == _MONEY
    spellings = vocabulary().spellings(first.folded, words[1].folded) if len(words) > 1 else frozenset()
    return not spellings or any(spelt[0] == _MONEY for spelt in spellings)


class QuestionReader:
    """Reads questions against one knowledge base's vocabulary (built per KB version)."""

    def __init__(self, normalizer: Normalizer, df_folded: dict[str, int], df_exact: dict[str, int],
                 known_pairs: set[tuple[str, str]], lexicon_words: frozenset[str], synonyms: list[list[str]] = (),
                 phrase_count: Callable[[list[str]], int] = lambda words: 0):
        self.normalizer = normalizer
        self.df_exact = df_exact
        self.phrase_count = phrase_count  # passages holding these folded words side by side
        self.synonym_groups = [tuple(" ".join(t.folded for t in normalizer.tokenize(p)) for p in group)
                               for group in synonyms]
        self.df_folded = df_folded
        self.known_pairs = known_pairs
        self.vocabulary = sorted(w for w in set(df_folded) | lexicon_words if len(w) >= 2 and w.isalpha())
        self.lexicon_words = lexicon_words
        self.written_in_pages = spellings_by_fold(df_exact)  # folded word → the exact keys the pages write it as

    def read(self, question: str) -> Question:
        text = join_split_abbreviations(cleaned_question(question), self.normalizer.abbreviations)
        english = is_english(text)
        if not english:  # "DOST" in English is no slip for "ĐMST"
            text = self._abbreviation_typos(text)
        typed = self.normalizer.tokenize(text)
        accented = is_accented(text)
        initialisms = capital_initialisms(text)
        tokens = [typed[i] if typed[i].folded in initialisms else self._corrected(typed, i, accented, english)
                  for i in range(len(typed))]
        q = Question(text, typed, tokens, [], accented, english=english)
        frame = _yes_no_frame(tokens)
        skip = self._read_cues(q, frame)
        names = _name_pairs(text) if english else set()
        for i, token in enumerate(tokens):
            if i in skip or (frame and i == frame[0]):  # "co … khong": "có", whatever its accents
                continue
            stop = is_stop(token, accented, english)
            if stop and english and (any(p in names for p in _neighbour_pairs(tokens, i))
                                     or self._in_page_word(tokens, i)):
                stop = False  # "Can Tho", "An Giang", "Tan An": a Vietnamese name in an English question
            in_word = self._in_known_word(tokens, i)
            if stop and not (accented or english or token.marked) and self._in_page_word(tokens, i):
                stop, in_word = None, False  # "xang dau": "dau" may be "đâu" or "dầu"; kept, weighed as unsure
            if stop or (len(token.folded) == 1 and token.folded not in "0123456789aeiouy"):
                continue
            if stop is None and in_word:
                stop = False  # "giao ban", "xăng dầu": the bare form is the content word here
            if token.folded in ORDINAL_MARKERS | {"nam", "ngay", "thang"} and _before_number(tokens, i):
                continue  # "năm 2019", "lần 13", "lần thứ 13": the number is the word to look for
            corrected = token.exact.endswith("~")
            factor = AMBIGUOUS_STOP_WEIGHT if stop is None else 1.0
            spelt = token.marked and not corrected and vocabulary().is_syllable(token.folded, token.exact)
            q.terms.append(Term(token, i, factor, corrected, spelt=spelt))
        q.terms = with_words(with_choices(with_synonyms(q.terms, tokens, self.synonym_groups), tokens), tokens, accented)
        if not accented and not english:
            q.terms = self._with_unwritten_words(q.terms, tokens)
        if not english:
            q.terms = self._with_slips(q.terms, tokens)
        q.numbers = {t.folded for t in tokens if t.folded.isdigit()}
        days = days_named(q.text)
        q.qualifiers = qualifiers(tokens, days)
        q.measures = measures(tokens, days)
        q.predicate = self._predicate(q, frame)
        self._read_qualifiers(q, english)
        if q.roles and _asks_a_name(tokens):
            q.types.add("who")  # "giám đốc trung tâm tên gì": a role's name is a person
        self._read_contact(q)
        return q

    def _with_unwritten_words(self, terms: list[Term], tokens: list[Token]) -> list[Term]:
        """Typed without accents, two neighbouring terms that make a word of the language which the pages never
        write side by side ("tuyen dung": "tuyển dụng") are that word: its syllables scattered over a sentence
        ("tuyên truyền … ứng dụng") are not it. Not where either makes a word the pages write with its other
        neighbour ("thuc day bao ho" is "thúc đẩy bảo hộ", never "đẩy bao")."""
        vocab = vocabulary()
        folded = [t.folded for t in tokens]

        def unwritten_word(term: Term, partner: Term) -> tuple[str, str] | None:
            if any(t.word or t.alternates or t.corrected or t.token.folded in AMBIGUOUS_BARE_STOPS
                   for t in (term, partner)):
                return None  # neither maybe a word of grammar ("tu" may be "từ") nor a guess at a slip
            at = term.position
            pair = (folded[at], folded[at + 1])
            outer = [(folded[a], folded[a + 1]) for a in (at - 1, at + 1) if 0 <= a < len(folded) - 1]
            return pair if vocab.is_word(*pair) and not any(map(self._page_word, [pair, *outer])) else None
        return _as_words(terms, unwritten_word)

    def _typed_in_context(self, tokens: list[Token], i: int) -> bool:
        """Does the word, as typed, make a known word with a neighbour (accents compared where typed)?"""
        vocab = vocabulary()
        for a, b in ((i - 1, i), (i, i + 1)):
            if a < 0 or b >= len(tokens):
                continue
            first, second = tokens[a], tokens[b]
            if (first.folded, second.folded) in self.known_pairs:
                return True
            spellings = vocab.spellings(first.folded, second.folded)
            if any((not first.marked or x == first.exact) and (not second.marked or y == second.exact)
                   for x, y in spellings):
                return True
        return False

    def _abbreviation_typos(self, text: str) -> str:
        """An unknown word one letter away from a known abbreviation of four or more letters is that
        abbreviation ("khnc", "dscl"): abbreviations are typed fast."""
        keys = [k for k in self.normalizer.abbreviations if len(k) >= 4 and k.isalpha()]
        vocab = vocabulary()

        def fixed(match: re.Match) -> str:
            word = match.group(0)
            folded = fold(word)
            if (len(folded) < 3 or folded in self.normalizer.abbreviations or self.df_folded.get(folded)
                    or vocab.is_syllable(folded)):
                return word
            found = process.extractOne(folded, keys, scorer=OSA.distance, score_cutoff=1)
            return found[0] if found else word

        return _WORD_RE.sub(fixed, text)

    def _in_page_word(self, tokens: list[Token], i: int) -> bool:
        """Does the word make, with a neighbour, a two-syllable word of the language that the pages
        hold side by side?"""
        return any(map(self._page_word, _neighbour_pairs(tokens, i)))

    def _page_word(self, pair: tuple[str, str]) -> bool:
        """Are two folded syllables a word of the language that the pages write side by side?"""
        return vocabulary().is_word(*pair) and (pair in self.known_pairs or bool(self.phrase_count(list(pair))))

    def _in_known_word(self, tokens: list[Token], i: int) -> bool:
        """Does the word make, with a neighbour, a pair the pages hold or a two-syllable word of the language?"""
        vocab = vocabulary()
        return any(p in self.known_pairs or vocab.is_word(*p) for p in _neighbour_pairs(tokens, i))

    # ----- typo correction ---------------------------------------------------------------
    def _with_slips(self, terms: list[Term], tokens: list[Token]) -> list[Term]:
        """A syllable that makes no word with either neighbour (nor, typed without accents, a pair the
        pages write), where a spelling one letter away (accents kept) makes with a neighbour, spelt as
        typed, a word of the language that the pages hold ("chưng trình" for "chương trình", "môi tường"
        for "môi trường", "kem tra" for "kiem tra"), is also found as that word. It is never corrected: it
        may be meant. Read left to right: a neighbour it pairs with is explained too ("Tanh tra": "tra"
        is no slip)."""
        vocab = vocabulary()
        joined = lambda pair: pair in self.known_pairs or vocab.is_word(*pair) or vocab.side_by_side(*pair)  # noqa: E731
        explained: set[int] = set()
        found = []
        for term in terms:
            i, token = term.position, term.token
            if (term.corrected or term.alternates or term.word or not token.folded.isalpha()
                    or i in explained or any(joined(pair) or not token.marked and self.phrase_count(list(pair))
                                             for pair in _neighbour_pairs(tokens, i))):
                found.append(term)
                continue
            phrases: list[tuple[str, str]] = []
            meant = ""
            for candidate, _, _ in process.extract(token.folded, self.vocabulary, scorer=OSA.distance,
                                                   score_cutoff=1, limit=None):
                for j, side in ((i - 1, 1), (i + 1, 0)):
                    if candidate == token.folded or not 0 <= j < len(tokens):
                        continue
                    neighbour = tokens[j]
                    pair = (neighbour.folded, candidate) if side else (candidate, neighbour.folded)
                    if vocab.is_word(*pair) and (not token.marked or any(
                            (spelling[1 - side] == neighbour.exact or not neighbour.marked)
                            and OSA.distance(spelling[side], token.exact) <= 1 for spelling in vocab.spellings(*pair))) \
                            and self.phrase_count(list(pair)):
                        phrases.append(pair)
                        explained.add(j)
                        meant = meant or candidate
            found.append(replace(term, alternates=tuple(phrases), slip_for=meant) if phrases else term)
        return found

    def _corrected(self, tokens: list[Token], i: int, accented: bool, english: bool = False) -> Token:
        """The token, or the word the citizen most likely meant when it is a slip. In an English question
        a word is only ever read as another form of itself ("chaired" as "chair", "winners" as "winner"):
        a letter away, English words are other words ("deal" is not "real", "held" not "help")."""
        token = tokens[i]
        word = token.folded
        if len(word) < 3 or not word.isalpha() or word in self.lexicon_words or is_stop(token, accented):
            return token
        if self.df_exact.get(token.exact) if token.marked else self.df_folded.get(word):
            return token
        vocab = vocabulary()
        # A real syllable, or the letters of a word the knowledge base writes with other accents ("thại"
        # for "thoại"): changed only when context asks for it.
        real = vocab.is_syllable(word, token.exact if token.marked else None) or bool(self.df_folded.get(word))
        before = tokens[i - 1].folded if i else None
        after = tokens[i + 1].folded if i + 1 < len(tokens) else None
        limit = 1 if len(word) <= 6 else 2
        found = [f for f in process.extract(word, self.vocabulary, scorer=OSA.distance, score_cutoff=limit, limit=None)
                 if f[0] != word and (not english or _inflected(word, f[0]) or _long_slip(word, f[1]))]
        if english and not found:
            found = [(form, abs(len(form) - len(word)), 0) for form in self._english_forms(word)]
        if not found:
            return token

        def in_words(candidate: str) -> bool:
            return any(vocab.is_word(*pair) for pair in ((before, candidate), (candidate, after)) if None not in pair)

        def spelt_word(candidate: str) -> bool:
            """Does the candidate make a word of the language with a neighbour spelt as typed?"""
            return any(typed.exact == spelling
                       for typed, pair, side in ((tokens[i - 1] if i else None, (before, candidate), 0),
                                                 (tokens[i + 1] if after else None, (candidate, after), 1))
                       if typed is not None for spelling in (s[side] for s in vocab.spellings(*pair)))

        def in_context(candidate: str) -> bool:
            return any(pair in self.known_pairs or vocab.side_by_side(*pair)
                       for pair in ((before, candidate), (candidate, after)) if None not in pair)

        def in_pages(candidate: str) -> int:
            return sum(self.phrase_count(list(pair)) for pair in ((before, candidate), (candidate, after))
                       if None not in pair)

        if real:
            if self._typed_in_context(tokens, i):
                return token
            if accented and vocab.is_single_word(token.exact):
                return token  # a word by itself, typed among accented words: written as meant ("ngon")
            # Typed with accents, a syllable found only inside longer words is changed when a candidate
            # makes a word with a neighbour spelt as typed ("Gim đốc" is "Giám đốc").
            found = [f for f in found if (spelt_word if accented else in_context)(f[0])]
            if not found:
                return token
        nearest = min(distance for _, distance, _ in found)

        def keeps_accents(candidate: str) -> bool:
            """Typed with accents: is the candidate written as few letters from the typed spelling, its marks
            and tone kept ("nuồn" is "nguồn", not "nón")?"""
            return not token.marked or any(OSA.distance(key, token.exact) <= nearest for key in
                                           vocab.written(candidate) | self.written_in_pages.get(candidate, frozenset()))

        best = max((c for c, distance, _ in found if distance == nearest),
                   key=lambda c: (keeps_accents(c), sorted(c) == sorted(word), in_pages(c) > 0, in_words(c),
                                  in_context(c), in_pages(c),
                                  len(commonprefix([c, word])), self.df_folded.get(c, 0)))
        return Token(best, best + "~", False)

    def _english_forms(self, word: str) -> list[str]:
        """The forms of an English word the pages write, its ending added or taken off ("open" → "opened",
        "trainings" → "training"), or another form of an irregular verb ("took" → "taking"), when a letter's
        slip would not reach them."""
        irregular = [form for form in _IRREGULAR_FORMS.get(word, ()) if form != word and self.df_folded.get(form)]
        if len(word) < MIN_STEM:
            return irregular
        longer, at = [], bisect_left(self.vocabulary, word)
        while at < len(self.vocabulary) and self.vocabulary[at].startswith(word):
            if len(self.vocabulary[at]) - len(word) <= ENGLISH_ENDING:
                longer.append(self.vocabulary[at])
            at += 1
        shorter = [word[:-n] for n in range(1, ENGLISH_ENDING + 1)
                   if len(word) - n >= MIN_STEM and self.df_folded.get(word[:-n])]
        return irregular + [w for w in longer + shorter if w != word]

    # ----- question type and qualifiers -----------------------------------------------------
    def _read_cues(self, q: Question, frame: tuple[int, int] | None) -> set[int]:
        """Question types from their cue words, the longest cue winning where cues overlap ("ngày bao
        nhiêu" asks a date, "bây giờ" is no time); interrogative cue words are not looked for."""
        skip: set[int] = set()
        claimed: set[int] = set()
        counts: list[tuple[int, Cue]] = []
        money: Cue | None = None  # "kinh phí", "giá trị": how much money, when nothing else is asked
        pages: set[int] = set()  # words naming the page itself ("bài viết", "tin")
        for start, cue in sorted(find_cues(q.tokens, TYPE_CUE_INDEX, q.accented), key=lambda found: -len(found[1].exact)):
            span = set(range(start, start + len(cue.exact)))
            if span & claimed or (not q.accented and len(cue.exact) == 1 and self._in_page_word(q.tokens, start)):
                continue  # "xang dau": "dau" is "dầu" of a word the pages hold, not "đâu"
            if cue.interrogative and frame and frame[0] < start and start + len(cue.exact) <= frame[1]:
                continue  # "có ai dự không", "có xem dau … không": inside a yes/no question it asks nothing
            claimed |= span
            if cue.kind in ("frame", "back"):
                skip |= span
                q.refers_back |= cue.kind == "back"
                continue
            if cue.kind == "share":  # "bao nhiêu phần trăm", "tỷ lệ": how many, of a share the pages write "%"
                q.types.add("count")  # ("chiếm 9,7%" as often as "tỷ lệ 5%"): the "%" is looked for, not the words
                q.head = PERCENT
                skip |= span
                continue
            if cue.kind == "money":  # "kinh phí … bao nhiêu": an amount of money, whatever word follows
                money = money or cue
                continue
            if cue.kind == "page":
                pages |= span
                continue
            q.types.add(cue.kind)
            q.organisation |= cue.kind == "who" and not cue.interrogative
            if cue.kind == "when" and cue.interrogative and not q.when_unit:
                q.when_unit = next((unit for unit, words in _WHEN_UNITS.items() if words & set(cue.folded)), "")
            if cue.interrogative:
                skip.update(range(start, start + len(cue.exact)))
            if cue.kind == "count":
                counts.append((start, cue))
                q.duration |= cue.folded in _DURATION_CUES
        for start, cue in sorted(counts, key=lambda found: found[0]):
            if q.head:
                break
            noun, at = ("", start) if cue.folded in _SPAN_CUES else \
                self._counted_noun(q, start + len(cue.exact), claimed)
            q.money = bool(noun) and _asks_money(noun, q.tokens[at:at + 2])
            q.head = noun or ("" if cue.interrogative else " ".join(cue.folded))  # "tổng số là bao nhiêu"
        if q.types & PAGE_TYPES:  # "bài viết về Techmart đăng ngày nào": the page itself is asked about
            q.types.discard("when")
            skip |= pages | ({0} if q.tokens and q.tokens[0].folded == "tin" else set())  # "tin Sóc Trăng họp …"
        self._read_which(q, skip)
        if money is not None and not (q.types - {"count", "polite", "current"}):  # not "nâng cao giá trị … khi nào"
            q.types.add("count")
            q.money, q.head = True, " ".join(money.folded)
        return skip

    def _counted_noun(self, q: Question, start: int, claimed: set[int]) -> tuple[str, int]:
        """The noun a count cue counts, and where it stands: the first word after it (folded) that is neither a
        stop word nor another cue, a two-syllable word kept whole ("cán bộ", "kinh phí") since one syllable of
        it names something else ("cán" is the "cần" of Cần Thơ): spelt so as typed, or, typed without accents,
        written so in the pages ("mau de" is "mẫu để", no word). In English the noun follows the cue at once
        ("how many projects"); a word of grammar there counts none ("how much did the project cost")."""
        i = start
        if q.english:
            word = q.tokens[i] if i < len(q.tokens) and i not in claimed else None
            return ("", i) if word is None or is_stop(word, False, True) else (word.folded, i)
        while i < len(q.tokens) and i not in claimed and is_stop(q.tokens[i], q.accented):
            word = q.tokens[i]
            if word.exact in _PREPOSITIONS_EXACT or (not word.marked and word.folded in _PREPOSITIONS_FOLDED):
                return "", i  # "hạng mấy trên cả nước": a preposition ends what the cue could count
            i += 1
        if i >= len(q.tokens) or i in claimed:
            return "", i
        word = q.tokens[i]
        after = q.tokens[i + 1] if i + 1 < len(q.tokens) and i + 1 not in claimed else None
        if after is not None and vocabulary().is_word(word.folded, after.folded) and (
                vocabulary().spelt_side_by_side(word, after) if q.accented
                else self.phrase_count([word.folded, after.folded])):
            return f"{word.folded} {after.folded}", i
        return word.folded, i

    @staticmethod
    def _read_which(q: Question, skip: set[int]) -> None:
        """ "tỉnh nào", "lĩnh vực gì", "quyết định nào": the noun before the question word names the
        kind of thing wanted; a two-syllable word is kept whole. In English the noun after "which"."""
        if q.english:
            for i, (token, after) in enumerate(zip(q.tokens, q.tokens[1:])):
                if token.folded == "which" and i + 1 not in skip and not is_stop(after, False, True):
                    q.which = after.folded  # "which agency": the noun after names the kind of thing wanted
                    q.types.add("which")
                    return
        vocab = vocabulary()
        for i, token in enumerate(q.tokens):
            if token.folded not in ("nao", "gi") or i == 0 or (token.marked and token.exact not in ("nao2", "gi2")):
                continue
            before = q.tokens[i - 1]
            if i - 1 in skip or is_stop(before, q.accented) or before.folded.isdigit():
                continue
            words = [before.folded]
            if i >= 2 and vocab.is_word(q.tokens[i - 2].folded, before.folded):
                words.insert(0, q.tokens[i - 2].folded)
            q.which = " ".join(words)
            q.types.add("which")
            return
        QuestionReader._read_website(q)

    @staticmethod
    def _read_website(q: Question) -> None:
        """ "trang web của sở là gì", "what is the department's website": a website asked for by what it is, not
        by "trang web nào", asks for a web address too; so does a message naming only a website and the department
        ("website sở khcn")."""
        words = f" {q.folded} "
        named = [noun for noun in WEBSITE_NOUNS if noun != "trang" and f" {noun} " in words]
        if not named:
            return
        website = {word for noun in named for word in noun.split()}
        only_named = all(t.folded in website or names_the_department(t) or is_stop(t, q.accented, q.english)
                         for t in q.tokens)
        if only_named or any(f" {asked} " in words for asked in ("gi", "nao", "what", "which")):
            q.which = max(named, key=len)
            q.types.add("which")

    @staticmethod
    def _predicate(q: Question, frame: tuple[int, int] | None) -> list[int]:
        """The content words between "có" and a closing "không"/"chưa" (``frame``): what a yes/no question
        asks about."""
        if frame is None:
            return []
        return [n for n, term in enumerate(q.terms) if frame[0] < term.position < frame[1]]

    def _read_qualifiers(self, q: Question, english: bool) -> None:
        folded = " " + q.folded + " "
        q.provinces = {name for name in PROVINCES if f" {name} " in folded and not self._glued(q, name.split())}
        q.places = set() if english else self._places(q)  # in English "Phuong's position" names no ward
        q.roles = {role for role in ROLE_WORDS if f" {role} " in folded}
        q.deputy = any(f" {word} {role} " in folded for word in DEPUTY_WORDS for role in q.roles)  # not "thành phố"
        for contrast, alternatives in enumerate(CONTRAST_RES):
            named = [i for i, alternative in enumerate(alternatives) if alternative.search(folded)]
            if len(named) == 1:  # naming two ("bắt đầu và kết thúc") asks about both
                q.alternatives[contrast] = named[0]

    def _glued(self, q: Question, name: list[str]) -> bool:
        """Is every place where the question's words spell a name part of other words, its first word
        making a word of the pages with the one before, or its last with the one after ("công nghệ an
        toàn": no Nghệ An), and the name never written with capitals?"""
        words = [t.folded for t in q.tokens]
        at = [i for i in range(len(words) - len(name) + 1) if words[i:i + len(name)] == name]
        return bool(at) and not _named_in_capitals(q.text, name) and all(
            (i and self._page_word((words[i - 1], words[i])))
            or (i + len(name) < len(words) and self._page_word((words[i + len(name) - 1], words[i + len(name)])))
            for i in at)

    def _places(self, q: Question) -> set[str]:
        """The places a Vietnamese question names: a unit word and the two words of its name (folded)."""
        words = [t.folded for t in q.tokens]
        found: dict[str, int] = {}  # each place, at its first unit word
        for i, token in enumerate(q.tokens[:-2]):
            if (_names_a_place(q.tokens[i:i + 3], q.accented)
                    and (q.accented or not self._unit_in_a_word(words, i))
                    and not (i and (q.tokens[i - 1].folded in ADMINISTRATIVE_UNITS  # not "quận huyện …"
                                    or _spelt_together(q.tokens[i - 1], token)  # not "hợp tác xã …"
                                    or _makes_generic(q.tokens[i - 1], q.accented)))):  # not "cấp xã …"
                found.setdefault(" ".join(words[i:i + 3]), i)
        return {place for place, at in found.items() if not _named_in_lower_case(q.text, place)
                and not (not q.accented and self._name_of_function_words(place))
                and not (_no_capitals_for_names(q.text) and self._a_word_not_a_place(q.tokens[at:at + 3]))}

    def _a_word_not_a_place(self, tokens: list[Token]) -> bool:
        """Are the two words after a unit word a word of their own ("kết thúc", "khai giảng": written so in the
        pages, or spelt so as typed), never written after the unit word? Then they name no place; a place no
        page names at all ("huyện Phong Điền") stays one."""
        folded = [t.folded for t in tokens]
        if self.phrase_count(folded):
            return False
        return bool(self.phrase_count(folded[1:])) or _spelt_together(*tokens[1:])

    def _unit_in_a_word(self, words: list[str], i: int) -> bool:
        """Typed without accents, is the unit word of a would-be place part of a word the pages write: with
        the word before it ("buc xa du kien": "bức xạ"), or with the word after it where the pages never
        write the place ("xa hoi nam 2023": "xã hội"; "huyen co do" is theirs)?"""
        return bool(i and self._page_word((words[i - 1], words[i]))) or (
            self._page_word((words[i], words[i + 1])) and not self.phrase_count(words[i:i + 3]))

    def _name_of_function_words(self, place: str) -> bool:
        """Typed without accents, is a place's name made with a word that is mostly a function word ("cap
        xa thi phai": "thì phải") and written nowhere in the pages ("huyen co do" is "Cờ Đỏ" there)?"""
        _, *name = place.split()
        return any(word in AMBIGUOUS_BARE_STOPS for word in name) and not self.phrase_count(name)

    @staticmethod
    def _read_contact(q: Question) -> None:
        named = q.department
        found = (find_cues(q.tokens, CONTACT_CUE_INDEX, q.accented) or _number_of_the_department(q.tokens, named)
                 or _the_department_alone(q, named))
        if not found:
            return
        used: set[int] = set()
        for start, cue in sorted(found, key=lambda at: (-len(at[1].exact), at[0])):  # "địa chỉ email" is an email
            span = range(start, start + len(cue.exact))
            if used.intersection(span):
                continue
            if cue.kind not in q.attributes:
                q.attributes.append(cue.kind)
            if cue.ambiguous and not any(q.tokens[i].marked for i in span):
                q.loose_attributes.add(cue.kind)
            used.update(span)
        entity = [t for t in q.terms
                  if t.factor == 1.0 and not names_the_department(t.token) and t.position not in used]
        if entity and named and any(start < named[0] for start, _ in found) and named[1] < entity[0].position:
            entity = []  # "email sở khcn, để gửi hồ sơ": the department is named; what follows is not a unit
        q.entity = [t.token for t in entity]


_NUMBER_ASKED = (("so", "may"), ("so", "bao", "nhieu"))  # "số mấy", "số bao nhiêu": which number
_PHONE = next(cue for cue in CONTACT_ATTRIBUTES if cue.kind == "phone")
_CONTACT = next(cue for cue in CONTACT_ATTRIBUTES if cue.kind == "contact")


_CALLING = frozenset({"oi", "a", "ad", "admin", "nhe", "nha", "alo", "hello", "hi"})  # calling someone: "sở ơi"


def _the_department_alone(q: Question, named: tuple[int, int] | None) -> list[tuple[int, Cue]]:
    """A message that only names the department, or calls it ("sở khcn cần thơ", "So KH&CN ơi"), asks nothing of
    an article: it looks for the department itself, whose contacts answer it. Not one that asks something of it
    ("sở khcn làm gì")."""
    if named is None or not all(
            named[0] <= i <= named[1] or names_the_department(t) or t.folded in _CALLING
            for i, t in enumerate(q.tokens)):
        return []
    return [(named[0], _CONTACT)]


def _number_of_the_department(tokens: list[Token], named: tuple[int, int] | None) -> list[tuple[int, Cue]]:
    """"sở khcn số mấy": which number the department (``named`` where the tokens name it) has is its phone
    number (not which house number: that is asked "ở số mấy"). Only right after the department's name, as other
    numbers are asked so too ("mẫu số mấy")."""
    if named is None:
        return []
    after = tuple(t.folded for t in tokens[named[1] + 1:named[1] + 4])
    return [(named[1] + 1, _PHONE)] if any(after[:len(asked)] == asked for asked in _NUMBER_ASKED) else []


# The ways of naming each alternative of each set of ``CONTRASTS``, as patterns over folded text.
CONTRAST_RES = tuple(tuple(re.compile(r"\b(?:" + "|".join(names) + r")\b") for names in contrast)
                     for contrast in CONTRASTS)


def _verb_forms(base: str, past: str, participle: str) -> tuple[str, ...]:
    """Every form of an irregular English verb: "take" → takes, taking, took, taken."""
    if base.endswith("e") and not base.endswith("ee"):
        ing = base[:-1] + "ing"  # "taking"
    elif len(base) <= 5 and re.search(r"[^aeiou][aeiou][bdgklmnprt]$", base):
        ing = base + base[-1] + "ing"  # "running", "beginning"
    else:
        ing = base + "ing"
    third = base + ("es" if re.search(r"(?:s|sh|ch|x|o)$", base) else "s")
    return tuple(dict.fromkeys((base, third, ing, past, participle)))


_IRREGULAR_FORMS = {form: forms for forms in (_verb_forms(*verb) for verb in ENGLISH_IRREGULAR_VERBS) for form in forms}


def names_someone(q: Question) -> bool:
    """Does the question name an organisation, a local authority or a person other than the department (by a head
    word of their names, ``NAME_HEADS``)? Typed without accents, "so" of "số" is taken for "sở": when in doubt,
    it does."""
    named = q.department
    return any(not (named and named[0] <= start <= named[1])
               for start, _ in find_cues(q.tokens, _NAME_HEAD_INDEX, q.accented))


def with_synonyms(terms: list[Term], tokens: list[Token], groups: list[tuple[str, ...]]) -> list[Term]:
    """Terms inside a phrase of a synonym group (folded phrases) also accept the group's other phrases."""
    words = [t.folded for t in tokens]
    starts: dict[str, list[int]] = {}  # each run of words of a phrase's length, as one string → where it starts
    for size in {len(phrase.split()) for group in groups for phrase in group}:
        for start in range(len(words) - size + 1):
            starts.setdefault(" ".join(words[start:start + size]), []).append(start)
    alternates: dict[int, tuple[tuple[str, ...], ...]] = {}
    for group in groups:
        for phrase in group:
            for start in starts.get(phrase, ()):
                others = tuple(tuple(p.split()) for p in group if p != phrase)
                for position in range(start, start + len(phrase.split())):
                    alternates[position] = alternates.get(position, ()) + others
    return [replace(t, alternates=alternates[t.position]) if t.position in alternates else t for t in terms]


def with_choices(terms: list[Term], tokens: list[Token]) -> list[Term]:
    """"sáng hay chiều", "in person or online": either word of a choice answers it, so each is found
    where the other is (the answer names one, never both)."""
    at = {t.position: t for t in terms}
    others: dict[int, tuple[tuple[str, ...], ...]] = {}
    for i, token in enumerate(tokens):
        if token.folded in CHOICE_WORDS and i - 1 in at and i + 1 in at:
            others[i - 1] = ((at[i + 1].token.folded,),)
            others[i + 1] = ((at[i - 1].token.folded,),)
    return [replace(t, alternates=t.alternates + others[t.position]) if t.position in others else t for t in terms]


def with_words(terms: list[Term], tokens: list[Token], accented: bool) -> list[Term]:
    """Two neighbouring terms that make a two-syllable word of the language, spelt as typed, are that
    word: each is found only beside the other. Only when the citizen typed accents: without them, too
    many neighbours make some word ("doan so", "huyen co")."""
    if not accented:
        return terms
    vocab = vocabulary()

    def spelt_as_a_word(term: Term, partner: Term) -> tuple[str, str] | None:
        first, second = term.token, partner.token
        pair = (first.folded, second.folded)
        return pair if vocab.is_word(*pair) and vocab.spelt_side_by_side(first, second) else None
    return _as_words(terms, spelt_as_a_word)


def _as_words(terms: list[Term], makes_word: Callable[[Term, Term], tuple[str, str] | None]) -> list[Term]:
    """Neighbouring terms that make a two-syllable word (the folded pair ``makes_word`` gives, read left to right)
    are that word: each is found only beside the other. A term with synonyms keeps its own ways of being found."""
    at = {t.position: t for t in terms}
    words: dict[int, tuple[str, str]] = {}
    for position, term in at.items():
        partner = at.get(position + 1)
        if partner is None or position in words:
            continue
        pair = makes_word(term, partner)
        if pair:
            words[position] = words[position + 1] = pair
    return [replace(t, word=words[t.position]) if t.position in words and not t.alternates else t for t in terms]


def _asks_a_name(tokens: list[Token]) -> bool:
    """Does the question ask a name ("tên gì", "tên là gì", "họ tên là gì")?"""
    words = [t.folded for t in tokens]
    return any(words[i + 1:i + 2] in (["gi"], ["nao"]) or words[i + 1:i + 3] == ["la", "gi"]
               for i, w in enumerate(words) if w == "ten")


def _yes_no_frame(tokens: list[Token]) -> tuple[int, int] | None:
    """Where "có" opens and "không"/"chưa" closes a yes/no question ("… có công an tham gia không?")."""
    words = [t.folded for t in tokens]
    closing = [i for i, w in enumerate(words) if w in ("khong", "chua")]
    if not closing or closing[-1] < len(words) - 4:
        return None
    openers = [i for i, w in enumerate(words[:closing[-1]]) if w == "co"]
    return (openers[-1], closing[-1]) if openers else None


_CAPITALISED_PAIR_RE = re.compile(r"(?<=[\w,;:()] )([A-ZĐ][a-zà-ỹđ]*) (?=([A-ZĐ][a-zà-ỹđ]+)\b)")


def _name_pairs(text: str) -> set[tuple[str, str]]:
    """Neighbouring capitalised words inside a sentence (folded): parts of a proper name ("Can Tho",
    "An Giang"), whatever an English reader would make of the first one alone."""
    return {(fold(a).lower(), fold(b).lower()) for a, b in _CAPITALISED_PAIR_RE.findall(text)}


def _names_a_place(tokens: list[Token], accented: bool) -> bool:
    """A unit word ("huyện", "phường") and the two words of its name ("Cờ Đỏ"), not "quận huyện".
    Among accented words, an unmarked word is read as written ("quan trắc" has no "quận"), and a unit
    word that makes a word with the next, spelt as typed, is that word ("xã hội", "tình huống")."""
    unit, *name = tokens
    is_unit = unit.exact in UNIT_EXACT if unit.marked or accented else unit.folded in ADMINISTRATIVE_UNITS
    if unit.exact.endswith("~"):
        return False  # a guess at a slip ("quay" read as "quan") names no place
    return is_unit and not _spelt_together(unit, name[0]) and not any(
        t.folded in ADMINISTRATIVE_UNITS or is_stop(t, accented) or t.folded.isdigit() for t in name)


def _written(text: str, phrase: list[str]) -> list[list[str]]:
    """The words of a text as typed, at each place where they spell a (folded) phrase."""
    words = _WORD_RE.findall(text)
    folded = [fold(w.casefold()) for w in words]
    size = len(phrase)
    return [words[i:i + size] for i in range(len(words) - size + 1) if folded[i:i + size] == phrase]


def _named_in_capitals(text: str, name: list[str]) -> bool:
    """Does the text write these (folded) words with capitals ("Nghệ An")?"""
    return any(all(w[0].isupper() for w in spot) for spot in _written(text, name))


def _makes_generic(before: Token, accented: bool) -> bool:
    """Is the word before a unit word one that makes it a level or a kind ("cấp xã", "các tỉnh")?"""
    if before.marked or accented:
        return before.exact in GENERIC_UNIT_EXACT
    return before.folded in GENERIC_UNIT_FOLDED


def _no_capitals_for_names(text: str) -> bool:
    """Does the writer leave names unmarked: every word in capitals, or none after the first? Then the pages tell
    a place ("huyện cờ đỏ") from a unit word before other words ("cán bộ xã kết thúc ngày nào")."""
    words = _WORD_RE.findall(text)
    return text.isupper() or not any(w[0].isupper() for w in words[1:])


def _named_in_lower_case(text: str, place: str) -> bool:
    """Does a writer who uses capitals (some word after the first starts with one, not every word does)
    write the name after the unit word in lower case ("cán bộ xã học trực tiếp": no "xã Học Trực")?"""
    words = _WORD_RE.findall(text)
    if len(words) < 2 or not any(w[0].isupper() for w in words[1:]) or all(w[0].isupper() for w in words):
        return False
    return any(not any(w[0].isupper() for w in spot[1:]) for spot in _written(text, place.split()))


def _spelt_together(first: Token, second: Token) -> bool:
    """Do two tokens, both typed with their accents, stand side by side in a word of the language as
    spelt ("xã hội", "tác xã" of "hợp tác xã")?"""
    return first.marked and second.marked and vocabulary().spelt_side_by_side(first, second)


def _before_number(tokens: list[Token], i: int) -> bool:
    following = [t.folded for t in tokens[i + 1:i + 3]]
    return bool(following) and (following[0].isdigit() or following[:1] == ["thu"] and following[1:2] != []
                                and following[1].isdigit())


def measures(tokens: list[Token], days: list[str] = ()) -> set[tuple[str, str]]:
    """Bare numbers with the word they count ("5 sao", "3 tỷ"): an answer giving another number of
    the same thing ("4 sao") answers another question. Calendar words are left out: "8 năm" and
    "15/8 năm 2013" read alike; so is an edition's number ("lần thứ 8 tính theo …" counts nothing), and
    the month of a day named (``days``: "từ 4/6 đến" counts no "đến")."""
    found = set()
    for i, (token, after) in enumerate(zip(tokens, tokens[1:])):
        if (token.folded.isdigit() and not (len(token.folded) == 4 and token.folded[:2] in ("19", "20"))
                and after.folded.isalpha() and after.folded not in ORDINAL_MARKERS | CALENDAR_WORDS
                and not (i and tokens[i - 1].folded in ORDINAL_MARKERS)
                and not (i and f"{tokens[i - 1].folded}/{token.folded}" in days)):
            found.add((token.folded, after.folded))
    return found


_DAY_RE = re.compile(r"(?<![\d/.,-])(\d{1,2})\s*[/-]\s*(\d{1,2})(?!\d|[.,]\d|[/-]\d{1,2}\b(?![/-]))")


def days_named(text: str) -> list[str]:
    """The days of a month a text names ("04/6/2013", "17-5"), as "day/month" without leading zeros
    (not "1/2" of "1/2/3", nor a number range like "12-14%")."""
    found = []
    for match in _DAY_RE.finditer(text):
        day, month = int(match.group(1)), int(match.group(2))
        after = text[match.end():match.end() + 1]
        if 1 <= day <= 31 and 1 <= month <= 12 and after != "%":
            found.append(f"{day}/{month}")
    return found


def _neighbour_pairs(tokens: list[Token], i: int) -> list[tuple[str, str]]:
    """The word at ``i`` with the word before it and with the word after it (folded)."""
    return [(tokens[j].folded, tokens[j + 1].folded) for j in (i - 1, i) if 0 <= j and j + 1 < len(tokens)]


def qualifiers(tokens: list[Token], days: list[str] = ()) -> list[tuple[str, str]]:
    """The numbers a question is qualified by, with what they count: a day of a month (``days``, "4/6"), an
    edition ("lần 13", "lần thứ 13", "đợt 2"), a year, or a bare number (a decision's, a period's)."""
    found = [("date", day) for day in days]
    in_days = [n for day in days for n in day.split("/")]
    for i, token in enumerate(tokens):
        number = token.folded
        if not number.isdigit():
            continue
        if number in in_days:
            in_days.remove(number)  # the day and month of a date, read as one
            continue
        before = tokens[i - 1].folded if i else ""
        if before == "thu" and i >= 2 and tokens[i - 2].folded in ORDINAL_MARKERS:
            before = tokens[i - 2].folded  # "lần thứ 13" is "lần 13"
        if len(number) == 4 and number[:2] in ("19", "20"):
            found.append(("year", number))
        elif before in ORDINAL_MARKERS:
            found.append((before, number))
        else:
            found.append(("", number))
    return found
