"""Recognising a question about the department's working hours ("giờ làm việc", "mấy giờ sở mở
cửa", "thứ 7 có làm không", "bây giờ sở còn mở cửa không", "gio lam viec cua so" …).

Not one list of phrases: the folded text (teencode expanded) is read for *office hours* words
("giờ làm việc", "giờ hành chính", "lịch làm việc", "giờ mở cửa"), or for a verb of being open
(làm việc, làm, mở cửa, đóng cửa, nghỉ, trực) standing alone — not "làm việc với huyện …",
"buổi làm việc" — together with a *time* word (mấy giờ, thứ Bảy, Chủ nhật, trưa, bây giờ, ngày lễ …).
The department's own name ("sở khoa học", which folds like "khóa học", a course) is not another
place. A question about another place or an event ("bệnh viện … mấy giờ", "hội thảo mở cửa mấy giờ") or
about receiving citizens ("tiếp dân", published in articles) is not about the office's hours.
In English the same: office-hours words ("office hours", "opening hours"), or "open"/"close"/"work" with a time or a day
("What time does the department open?", "Is it open on Saturday?"), not about another place or event, nor in the
past tense ("When did Techfest open?").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.answer.question import is_english
from knowledge.contacts import is_department_at

from .handover_intent import normalise

_DAY = (r"(?:thu (?:2|3|4|5|6|7|hai|ba|tu|nam|sau|bay)|t[2-7]|chu nhat|(?<!kh )cn|cuoi tuan|ngay nghi|ngay le|"
        r"le tet|tet)")
_NOW = r"(?:bay gio|bay h|gio nay|hien gio|hien tai|luc nay|hom nay)"
_TIME = (rf"(?:may gio|may h|gio nao|luc nao|bao gio|khi nao|trua|buoi (?:sang|chieu|trua|toi)|toi|sang|chieu|"
         rf"{_DAY}|{_NOW})")
# what may follow a bare "làm", "nghỉ", "trực" meant as the office working: a time or a question word
_BARE_FOLLOW = (r"(?= (?:khong|chua|a|vay|nhe|ha|hong|tu|den|toi|may|luc|vao|thu|chu|cuoi|ca|buoi|sang|chieu|"
                r"trua|ngay|hom|le|tet)\b|$)")
_HOURS_WORDS = re.compile(r"\b(?:gio|thoi gian|lich) (?:lam viec|hanh chinh|mo cua|dong cua|lam|truc)\b|"
                          r"\bgio giac lam viec\b")
# "làm việc", "mở cửa" … as the office being open; not "làm việc với/tại …" nor "làm" + object
_OPEN_VERB = re.compile(r"\b(?:lam viec(?! (?:voi|tai|o|cung|cua|trong|ve|gi|sao|the nao)\b)|mo cua|dong cua|"
                        rf"nghi trua|(?<!de )(?<!kien )(?<!suy )(?:lam|nghi|truc){_BARE_FOLLOW})\b")
_TIME_RE = re.compile(rf"\b{_TIME}\b")
_NOW_RE = re.compile(rf"\b{_NOW}\b|\b(?:dang|con) (?:mo cua|lam viec|lam|truc)\b")
# Someone or something else whose hours or schedule are asked: another organisation ("trung tâm …",
# "chi cục …"), a place, an event (an inspection: "đợt kiểm tra … làm từ ngày nào"), a person
_OTHER = re.compile(r"\b(?:trung tam|chi cuc|cuc|benh vien|phong kham|cho|ngan hang|sieu thi|buu dien|truong|thu vien|bao tang|"
                    r"cong vien|nha hang|quan an|cong ty|xe buyt|ben xe|chuyen|tran|doi tuyen|bong da|"
                    r"hoi nghi|hoi thao|hoi thi|cuoc thi|trien lam|ngay hoi|su kien|le (?:khai mac|be mac|trao|ky)|"
                    r"khai mac|dien dan|techfest|festival|tap huan|khoa hoc|lop|buoi|doan|dot|kiem tra|thanh tra|"
                    r"tiep dan|tiep cong dan|"
                    r"giam doc|pho giam doc|lanh dao|huyen|xa|phuong|ubnd|nhan ho so|nop ho so|han)\b")


# The same in English ("What are the office hours?", "Is the department open on Saturday?", "open now?"),
# each English day named as the reply names it
_EN_DAYS = {"monday": "thu 2", "tuesday": "thu 3", "wednesday": "thu 4", "thursday": "thu 5", "friday": "thu 6",
            "saturday": "thu 7", "sunday": "chu nhat", "weekend": "cuoi tuan", "holiday": "ngay le"}
_EN_DAY_RE = re.compile(r"\b(?P<day>" + "|".join(_EN_DAYS) + r")s?\b")
_EN_NOW_RE = re.compile(r"\b(?:now|right now|at the moment|currently|today)\b")
_EN_HOURS_WORDS = re.compile(r"\b(?:office|opening|working|business|open) (?:hours|times?)\b|"
                             r"\bhours of (?:work|business)\b")
# "work" as the office being open ("does the department work on Saturday?"), not working with someone or on something
_EN_OPEN_VERB = re.compile(r"\b(?:open|opens|closed|close|closes|working|works?(?! (?:with|for|together|on (?!"
                           + "|".join(_EN_DAYS) + r")s?\b)))\b")
_EN_TIME_RE = re.compile(r"\b(?:what time|when|lunch|noon)\b")
_EN_OTHER = re.compile(r"\b(?:hospital|clinic|market|bank|school|universit(?:y|ie)|librar(?:y|ie)|museum|park|"
                       r"restaurant|compan(?:y|ie)|centre|center|conference|workshop|seminar|contest|competition|"
                       r"exhibition|fair|festival|ceremon(?:y|ie)|event|training|course|drill|session|inspection|"
                       r"registration|application|call)s?\b|"
                       r"\b(?:did|was|were|opened|closed)\b")  # once, not every day: "When did Techfest open?"


@dataclass(frozen=True)
class HoursQuestion:
    now: bool  # "is it open now?": say whether it is, and when it next opens
    day: str | None  # the folded day asked about ("thu 7", "chu nhat"), if any
    noon: bool  # asked about the lunch break


def _without_department(plain: str) -> str:
    """The folded text with the department's name taken out: "sở khoa học" is no course ("khóa học")."""
    span = is_department_at(plain)
    return plain[:span[0]] + "so" + plain[span[1]:] if span else plain


@dataclass(frozen=True)
class _Cues:
    """How one language asks about the office's hours (the patterns above, read on folded text)."""
    other: re.Pattern  # another place, event or person whose hours are asked
    hours_words: re.Pattern  # "giờ làm việc", "office hours"
    open_verb: re.Pattern  # "mở cửa", "open"
    when: re.Pattern  # with an open verb, a time, a day or "now" makes it a question about the hours
    now: re.Pattern
    day: re.Pattern  # its group "day": the day asked about
    noon: re.Pattern
    day_names: dict[str, str]  # a day as the reply names it ("saturday": "thu 7"); as written when absent


_VIETNAMESE = _Cues(_OTHER, _HOURS_WORDS, _OPEN_VERB, re.compile(f"{_TIME_RE.pattern}|{_NOW_RE.pattern}"), _NOW_RE,
                    re.compile(rf"\b(?P<day>{_DAY})\b"), re.compile(r"\b(?:trua|nghi trua)\b"), {})
_ENGLISH = _Cues(_EN_OTHER, _EN_HOURS_WORDS, _EN_OPEN_VERB,
                 re.compile(f"{_EN_TIME_RE.pattern}|{_EN_NOW_RE.pattern}|{_EN_DAY_RE.pattern}"), _EN_NOW_RE,
                 _EN_DAY_RE, re.compile(r"\b(?:lunch|noon)\b"), _EN_DAYS)


def recognise(text: str) -> HoursQuestion | None:
    """The working-hours question in ``text``, or None when it asks about something else."""
    plain = normalise(text)
    cues = _ENGLISH if is_english(text) else _VIETNAMESE
    if cues.other.search(_without_department(plain)):
        return None
    if not (cues.hours_words.search(plain) or (cues.open_verb.search(plain) and cues.when.search(plain))):
        return None
    day = cues.day.search(plain)
    return HoursQuestion(now=bool(cues.now.search(plain)),
                         day=cues.day_names.get(day.group("day"), day.group("day")) if day else None,
                         noon=bool(cues.noon.search(plain)))
