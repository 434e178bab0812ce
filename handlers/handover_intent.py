"""Recognising a citizen who asks for a person ("gặp cán bộ", "cho tôi nói chuyện với người thật",
"chuyen cho nhan vien", "để lại câu hỏi cho Sở" …), typed with or without accents.

Not one list of phrases: the folded text (teencode expanded) is read for a *request* — a verb of
meeting, talking, passing on or leaving a question — aimed at a *person* of the department
(cán bộ, nhân viên, chuyên viên, người thật, tư vấn viên, admin …), or for a refusal to talk to
the machine. Questions *about* staff are not requests: a person followed by "là ai", "nào",
"bao nhiêu", a phone number or an address asked for, or contact words before the request
("số điện thoại liên hệ cán bộ …"). What is left once the request and its politeness words are
taken out says whether the message also holds the question itself.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.text import fold

# Teencode and short forms, folded, as citizens type them in chats.
_SHORT = {"cb": "can bo", "cbo": "can bo", "nv": "nhan vien", "ng": "nguoi", "ngta": "nguoi", "mun": "muon",
          "mog": "muon", "ko": "khong", "k": "khong", "kg": "khong", "hok": "khong", "hong": "khong",
          "dc": "duoc", "vs": "voi", "tui": "toi", "t": "toi", "e": "em", "mk": "minh", "mik": "minh",
          "ad": "admin", "nc": "noi chuyen", "ntn": "nhu the nao", "sdt": "so dien thoai",
          "j": "gi", "z": "vay", "v": "vay", "nha": "nhe"}

PERSON = (r"(?:can bo|nhan vien|chuyen vien|nguoi that(?: su)?|con nguoi|tu van vien|tong dai vien|"
          r"dien thoai vien|quan tri vien|admin|nguoi (?:tu van|ho tro|truc|phu trach|cua so|that)|"
          r"ai do|nguoi nao do|mot nguoi|nguoi(?= (?:di|nhe|a|voi|giup|gium|duoc|khong|de|ho tro|tra loi|oi)\b|$))")
_FILL = r"(?: (?:truc tiep|voi|cung|gium|giup|dum|ngay|luon|duoc|mot|1|vai|cac|ben))*"
_REQUESTS = [
    # meet / talk to / connect with a person
    rf"\b(?:gap|noi chuyen|tro chuyen|chat|trao doi|ket noi|lien he|lien lac){_FILL} {PERSON}\b",
    # ask a person (not "cho hỏi …", Vietnamese for "may I ask")
    rf"\b(?:muon|can|xin|duoc) hoi{_FILL} {PERSON}\b|\bhoi truc tiep{_FILL} {PERSON}\b",
    # pass me / my question on to a person
    rf"\bchuyen(?: tiep| may| ngay| cau hoi(?: nay)?| (?:toi|minh|em))? (?:cho|sang|qua|toi|den|gap)"
    rf"(?: (?:mot|1|ben))? {PERSON}\b",
    # need a person to help, answer, advise
    rf"\b(?:can|muon|xin|nho|yeu cau|de nghi)(?: (?:duoc|co|mot|1))* {PERSON} (?:ho tro|tu van|giup|tra loi|"
    rf"giai dap|xu ly|goi)\b",
    # "cán bộ ơi trả lời giúp", "nhân viên đâu rồi"
    rf"^{PERSON} (?:oi|dau|dau roi)(?: (?:tra loi|giai dap|ho tro|giup|gium|tu van|voi|a|nhe|toi|minh|em))*$",
    # leave a question or message for the department
    r"\b(?:de lai|gui|dat) (?:cau hoi|loi nhan|tin nhan|yeu cau)(?: (?:nay|cua toi|cua minh|cua em))?"
    rf"(?: (?:cho|den|toi|len|gui|lai))* (?:{PERSON}|so|co quan)\b|\bde lai (?:cau hoi|loi nhan)\b",
    # "no more bot", "is anyone there?"
    r"\bkhong (?:muon )?(?:noi chuyen|chat|hoi|tro chuyen)(?: (?:voi|cung))? (?:bot|may|robot|chatbot|tro ly ao|"
    r"may moc|tu dong)\b",
    r"^(?:co )?(?:ai|nguoi that|can bo|nhan vien) (?:o do |truc |online )?(?:khong|a)$",
    r"\b(?:talk|speak|chat) (?:to|with) (?:a |an |some )?(?:human|person|real person|agent|staff|someone)\b"
    r"|\b(?:human|live) agent\b",
]
_REQUEST_RE = re.compile("|".join(f"(?:{pattern})" for pattern in _REQUESTS))
# After the person: the question is about them, not a request to reach them.
_ABOUT_STAFF = re.compile(r"^(?: \w+){0,4}? (?:la ai|ten (?:la )?gi|nao|bao nhieu|so dien thoai|dien thoai|email|"
                          r"dia chi|o dau|may gio|khi nao|la gi|bao lau)\b")
_CONTACT_BEFORE = re.compile(r"\b(?:so dien thoai|dien thoai|email|dia chi|fax|hotline|duong day nong)\b")
# Words that only carry the request or politeness; three other words make a question.
_POLITE = set("""toi minh em anh chi ban tao con chau ong ba muon can xin cho voi vui long lam on duoc khong nhe
a oi de hoi ve giup gium dum nay di luon ngay vay roi nhanh so khoa hoc va cong nghe thanh pho can tho that
su truc tiep co ai the thi la mot 1 cua bot may please i want to a the""".split())


@dataclass(frozen=True)
class Intent:
    question_given: bool  # the message holds a question beside the request


def normalise(text: str) -> str:
    """Folded words, teencode expanded, punctuation gone: what the patterns read."""
    words = re.findall(r"[a-z0-9]+", fold(text))
    return " ".join(_SHORT.get(w, w) for w in words)


def recognise(text: str) -> Intent | None:
    """The hand-over request in ``text``, or None when it is an ordinary question."""
    plain = normalise(text)
    for match in _REQUEST_RE.finditer(plain):
        if _ABOUT_STAFF.match(plain[match.end():]) or _CONTACT_BEFORE.search(plain[:match.start()]):
            continue
        rest = (plain[:match.start()] + " " + plain[match.end():]).split()
        return Intent(question_given=sum(w not in _POLITE for w in rest) >= 3)
    return None


_CANCEL_RE = re.compile(r"^(?:thoi|huy|bo qua|cancel|khong can(?: nua)?|thoi khong can(?: nua)?)"
                        r"(?: (?:nhe|a|roi|cam on))*$")


def is_cancel(text: str) -> bool:
    """"thôi", "huỷ", "không cần nữa": the citizen takes the hand-over back."""
    return bool(_CANCEL_RE.match(normalise(text)))
