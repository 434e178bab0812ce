"""Turn an uploaded page (department text format, HTML, Markdown) into a structured article.

Every format is first reduced to a title and a list of text lines; one shared pass then
finds the publication stamp, the source URL, the footer (with its contacts) and the body
paragraphs. Explicit publication stamps (and page metadata, and a dated file name) give the
article's date; a "today is …" header is never one. An article with none of these is dated from
its text (:func:`infer_date`), flagged as inferred.

The source URL is the page's ``<link rel="canonical">`` or ``og:url``, a Markdown front-matter
``url:`` or ``source:``, or a "Nguồn: https://…" line; never the file's place on the server.
"""
from __future__ import annotations

import codecs
import datetime as dt
import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import PurePath

from ..contacts import ContactFact, body_contacts, footer_contacts, strip_contact_text
from ..local_time import MONTH_NAMES
from ..text import clean
from .tables import table_lines

SUPPORTED_SUFFIXES = {".txt": "text", ".text": "text", ".html": "html", ".htm": "html",
                      ".md": "markdown", ".markdown": "markdown"}
MAX_FILE_BYTES = 5 * 1024 * 1024


class ParseError(ValueError):
    """The file cannot be imported; the message says why, in Vietnamese."""


@dataclass
class ParsedArticle:
    title: str
    published: dt.date | None
    url: str | None
    paragraphs: list[str]
    contacts: list[ContactFact] = field(default_factory=list)
    format: str = "text"
    footer_facts: list[str] = field(default_factory=list)  # e.g. "Trưởng Ban biên tập: …"
    published_inferred: bool = False  # ``published`` was read from the text, not from a stamp
    origin: str | None = None  # where the page was taken from, by its byline: "Báo Cần Thơ" of "Theo Báo Cần Thơ"


_DATE = r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})"
_STAMP_RES = [
    re.compile(r"^\[\s*" + _DATE + r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*\]$"),
    re.compile(r"^[*_]*\s*(?:Ngày|Đăng ngày|Cập nhật|Published|Posted|Date)\s*:?\s*" + _DATE
               + r"[\s\d:]*[*_]*$", re.I),
    # A line that is only a date, maybe with its weekday and time: "Thứ Hai, 12/05/2025 - 08:30".
    re.compile(r"^(?:(?:Thứ\s+\w+|Chủ nhật|CN|T[2-7])\s*,?\s*)?" + _DATE
               + r"(?:\s*[-|,]?\s*\d{1,2}[:h]\d{2}(?::\d{2})?(?:\s*(?:AM|PM|SA|CH))?)?(?:\s*\(GMT[^)]*\))?$", re.I),
    # A labelled stamp in a short line, maybe with a weekday or a view counter around it.
    re.compile(r"^[*_]*\s*(?:Ngày đăng|Ngày cập nhật|Ngày xuất bản|Đăng lúc|Cập nhật lúc|Thời gian đăng|"
               r"Published on|Posted on)\s*:?\s*(?:[^\d]{0,20}?)" + _DATE, re.I),
]
_POSTED_LINE_RE = re.compile(r"^(?:Bài đăng|Đăng|Đăng tải|Cập nhật|Xuất bản)(?: lúc)?\s+\d{1,2}[:h]\d{2}"
                             r"\s*,?\s*(?:ngày\s+)?" + _DATE, re.I)
_URL_RE = re.compile(r"^https?://\S+$")
# "ngày 12/9/2024", "Ngày 05-3-2025", "12.9.2024", "ngày 12 tháng 9 năm 2024"
_TEXT_DATE_RE = re.compile(r"(?<![\d/.\-])" + _DATE + r"(?![\d/.\-]\d)|"
                           r"\bngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})\b", re.I)
_MONTH_NUMBERS = {name.lower(): n for n, name in enumerate(MONTH_NAMES.split("|"), 1)}
_MONTH_NAME = "(" + "|".join(_MONTH_NUMBERS) + ")"
# "On 12 November 2021 …", "November 12, 2021": how an English page opens with its day
_ENGLISH_DATE_RE = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH_NAME + r",?\s+(\d{4})\b|"
                              r"\b" + _MONTH_NAME + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", re.I)
EARLIEST_INFERRED = dt.date(1990, 1, 1)  # older dates in a news text are history, not the news
# "Thứ tư 19/11/2025": a weekday before a date is the page's "today is …" header, not the news
_WEEKDAY_BEFORE_RE = re.compile(r"(?:thứ\s+\w+|chủ\s+nhật|CN|T[2-7])\s*,?\s*$", re.I)
_SOURCE_RE = re.compile(r"^(?:Nguồn|Source)\s*:\s*(https?://\S+)\s*$", re.I)
# A byline naming where the page was taken from: "Theo Báo Cần Thơ", "(Theo TTXVN)", "Nguồn: Báo Tin tức"
_ORIGIN_RE = re.compile(r"^\(?(?:[Tt]heo|[Nn]guồn\s*:|[Ss]ource\s*:|[Aa]ccording to)\s*([A-ZĐÀ-Ỹ][^\d,;:()]{1,59}?|"
                        r"[\w.-]+\.[a-z]{2,})\)?\.?$")
_ORIGIN_IN_STAMP_RE = re.compile(r"\((?:nguồn|theo|source)\s*:?\s*([^()\d]{2,60})\)", re.I)  # "… (nguồn: Báo X)"
_FOOTER_START_RE = re.compile(r"^(Bản quyền|Copyright|©|Chân trang|Footer of|Footer)", re.I)
_HEADER_RE = re.compile(r"^(SỞ KHOA HỌC VÀ CÔNG NGHỆ|Khoa học, công nghệ và Đổi mới sáng tạo -)")
_COUNTER_RE = re.compile(r"^(Lượt truy cập|Số lượt truy cập|Đang trực tuyến|Đang online|Visitors?)\b", re.I)
_SENTENCE_END_RE = re.compile(r"[.!?:;…)\]\"”]$")


def _date(day: str, month: str, year: str) -> dt.date | None:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


_ISO_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def _iso_date(value: str | None) -> dt.date | None:
    """The date an ISO stamp opens with ("2024-12-25", "2024-12-25T08:00:00+07:00"), or None."""
    found = _ISO_DATE_RE.match(value or "")
    return _date(found.group(3), found.group(2), found.group(1)) if found else None


def _is_header(line: str) -> bool:
    """The site's name (in capitals) and slogan printed above every article."""
    match = _HEADER_RE.match(line)
    return bool(match) and (line.isupper() or not match.group(0).isupper())


def _stamp(line: str) -> dt.date | None | bool:
    """The date of a publication-stamp line, or False when the line is no stamp."""
    if len(line) > 120:
        return False
    for pattern in _STAMP_RES:
        match = pattern.match(line)
        if match:
            return _date(*match.groups()[:3])
    match = _POSTED_LINE_RE.match(line)
    if match:
        return _date(*match.groups()[:3])
    return False


def decode(raw: bytes) -> str:
    """A file's text: UTF-8, with or without a byte-order mark, or UTF-16 (see :func:`_utf16`)."""
    try:
        text = raw.decode(_utf16(raw) or "utf-8-sig")
    except UnicodeDecodeError:
        raise ParseError("tệp không phải văn bản UTF-8 hoặc UTF-16 (hãy lưu lại dạng UTF-8)") from None
    if "\x00" in text:
        raise ParseError("tệp nhị phân, không phải văn bản")
    return text


def _utf16(raw: bytes) -> str | None:
    """The UTF-16 codec for ``raw``: after a byte-order mark, or — as Windows' "Unicode" text may be
    saved without one — when a third or more of the bytes in alternate positions are NUL (the high
    byte of Latin letters, digits and spaces) and almost none in the others; else None."""
    if raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    sample = raw[:4096]
    even, odd = (part.count(0) / max(1, len(part)) for part in (sample[0::2], sample[1::2]))
    if odd >= 0.3 and even < 0.05:
        return "utf-16-le"
    if even >= 0.3 and odd < 0.05:
        return "utf-16-be"
    return None


def parse_document(name: str, raw: bytes) -> ParsedArticle:
    """Parse one file's bytes; raise ParseError with a Vietnamese reason when it cannot be used."""
    kind = SUPPORTED_SUFFIXES.get(PurePath(name).suffix.lower())
    if kind is None:
        raise ParseError("định dạng không hỗ trợ (chỉ nhận .txt, .html, .md)")
    if len(raw) > MAX_FILE_BYTES:
        raise ParseError(f"tệp quá lớn (tối đa {MAX_FILE_BYTES // (1024 * 1024)} MB)")
    text = decode(raw)
    if not text.strip():
        raise ParseError("tệp rỗng")
    if kind == "html":
        title, lines, meta_date, meta_url = _html_lines(text)
    elif kind == "markdown":
        title, lines, meta_date, meta_url = _markdown_lines(text)
    else:
        title, lines, meta_date, meta_url = _text_lines(text)
    article = _assemble(title, lines, meta_date)
    article.format = kind
    article.url = meta_url or article.url
    if article.published is None:  # "2024-06-05-hoi-thao.md": a dated file name is the last resort
        named = re.match(r"^(\d{4})-(\d{2})-(\d{2})[-_ ]", PurePath(name).name)
        article.published = _date(named.group(3), named.group(2), named.group(1)) if named else None
    first = article.paragraphs[0] if article.paragraphs else ""
    if not article.title and len(article.paragraphs) > 1 and len(first) <= 150 and not first.endswith("."):
        article.title = article.paragraphs.pop(0)  # a page without a heading opens with its title
    if not article.title:
        article.title = PurePath(name).stem.replace("-", " ").replace("_", " ")
    if not article.paragraphs:
        raise ParseError("không tìm thấy nội dung bài viết")
    if article.published is None:
        article.published = infer_date(article.title, article.paragraphs[0])
        article.published_inferred = article.published is not None
    return article


def infer_date(title: str, lead: str, today: dt.date | None = None) -> dt.date | None:
    """The date of an article without a stamp: the first full date (day, month and year) in its title,
    else in its first paragraph, that is a real day from 1990 up to ``today`` and not the page's
    "Thứ tư 19/11/2025" header (a weekday just before it).

    News opens with when the event happened ("Ngày 12/9/2024, Sở …", "On 12 November 2021 the department …"),
    and the page went up that day or soon after; dates further down are as often deadlines or history, so they
    are not read.
    """
    today = today or dt.date.today()
    for text in (title, lead):
        for start, day in _text_dates(text):
            if _WEEKDAY_BEFORE_RE.search(text[:start]):
                continue
            if day and EARLIEST_INFERRED <= day <= today:
                return day
    return None


def _text_dates(text: str) -> list[tuple[int, dt.date | None]]:
    """The full dates a text writes, Vietnamese ("12/9/2024", "ngày 12 tháng 9 năm 2024") or English ("12 November
    2021", "November 12, 2021"), in the order they stand, each with where it starts."""
    found = []
    for match in _TEXT_DATE_RE.finditer(text):
        groups = match.groups()
        found.append((match.start(), _date(*groups[:3]) if groups[0] else _date(*groups[3:])))
    for match in _ENGLISH_DATE_RE.finditer(text):
        day, month, year, month_first, day_second, year_second = match.groups()
        found.append((match.start(), _date(day, str(_MONTH_NUMBERS[month.lower()]), year) if day else
                      _date(day_second, str(_MONTH_NUMBERS[month_first.lower()]), year_second)))
    return sorted(found, key=lambda pair: pair[0])


def _assemble(title: str, lines: list[str], published: dt.date | None) -> ParsedArticle:
    url = origin = None
    body: list[str] = []
    footer: list[str] = []
    contacts: list[ContactFact] = []
    for raw_line in lines:
        line = clean(raw_line)
        if not line or line == title:
            continue
        stamp = _stamp(line)
        if stamp is not False:
            published = published or stamp
            in_stamp = _ORIGIN_IN_STAMP_RE.search(line)
            origin = origin or (in_stamp.group(1).strip() if in_stamp else None)
            continue
        source = _SOURCE_RE.match(line)
        if source:
            url = url or source.group(1)
            continue
        if footer or _FOOTER_START_RE.match(line):
            footer.append(line)
            continue
        byline = _ORIGIN_RE.match(line)
        if byline and len(byline.group(1).split()) <= 8:
            origin = byline.group(1).strip()
            continue
        if (_is_header(line) and not body) or _COUNTER_RE.match(line):
            continue
        if len(line) < 30 and not _SENTENCE_END_RE.search(line) and not re.search(r"\d", line):
            continue  # picture captions, author and section lines
        body.append(line)
        contacts.extend(body_contacts(line))
    contacts.extend(footer_contacts(footer))
    facts = [fact for fact in (strip_contact_text(line) for line in footer) if fact]
    return ParsedArticle(title=title, published=published, url=url, paragraphs=body, contacts=contacts,
                         footer_facts=facts, origin=origin)


_TITLE_LABEL_RE = re.compile(r"^(?:tiêu đề|tên bài|title)\s*:\s*(?=\S)", re.I)  # "Tiêu đề: Hội thảo …"


def _text_lines(text: str) -> tuple[str, list[str], dt.date | None, str | None]:
    """The department's page format: header, slogan, title, [dd/mm/yyyy], body, footer."""
    lines = [clean(line) for line in text.splitlines()]
    lines = [line for line in lines if line]
    title = ""
    for i, line in enumerate(lines):
        if _stamp(line) is not False:
            candidates = [c for c in lines[:i] if not _is_header(c)]
            title = candidates[-1] if candidates else ""
            break
    if not title:
        title = next((line for line in lines if not _is_header(line)), "")
    return _TITLE_LABEL_RE.sub("", title), lines, None, None


_MD_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS_RE = re.compile(r"(\*\*|__|\*|`)")
_MD_RULE_RE = re.compile(r"\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?")  # the line under a table's header


def _markdown_inline(text: str) -> str:
    """Markdown text without its links' targets, its emphasis and any inline HTML tags."""
    return re.sub(r"<[^>]+>", "", _MD_EMPHASIS_RE.sub("", _MD_LINK_RE.sub(r"\1", text))).strip()


# The keys of a Markdown front matter that give the page's date, as site generators and exporters write them
_FRONT_MATTER_DATES = ("date:", "published:", "publishdate:", "pubdate:", "published_at:")


def _markdown_lines(text: str) -> tuple[str, list[str], dt.date | None, str | None]:
    title = ""
    published = None
    url = None
    lines: list[str] = []
    in_code = False
    front_matter = text.lstrip().startswith("---")
    table: list[list[str]] = []  # the rows of the table being read
    header_marked = False  # its first row stands above a "|---|" line
    all_lines = text.splitlines()
    for i, line in enumerate(all_lines):
        stripped = line.strip()
        if front_matter:
            if i > 0 and stripped == "---":
                front_matter = False
            elif stripped.lower().startswith(("title:", "url:", "source:") + _FRONT_MATTER_DATES):
                key, _, value = stripped.partition(":")
                value = value.strip().strip("\"'")
                if key.lower() == "title":
                    title = value
                elif key.lower() in ("url", "source"):
                    url = url or (value if _URL_RE.match(value) else None)
                else:
                    published = published or _iso_date(value)
            continue
        if stripped.startswith("```"):
            in_code = not in_code
            continue
        if in_code or re.fullmatch(r"[-*_=|:\s]{3,}", stripped or "x"):
            continue
        if stripped.startswith("|"):  # a table's row
            following = all_lines[i + 1].strip() if i + 1 < len(all_lines) else ""
            header_marked = header_marked or (not table and bool(_MD_RULE_RE.fullmatch(following)))
            table.append([_markdown_inline(cell) for cell in stripped.strip("|").split("|")])
            continue
        lines += [html.unescape(line) for line in table_lines(table, header_marked)]
        table, header_marked = [], False
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*$", stripped)
        stripped = re.sub(r"^(#{1,6}\s+|>\s*|[-*+]\s+)", "", stripped)
        stripped = _markdown_inline(stripped).strip(" |").replace(" | ", ", ")  # "a | b": a table's row, unmarked
        if heading and not title:
            title = clean(stripped)
            continue
        lines.append(html.unescape(stripped))
    lines += [html.unescape(line) for line in table_lines(table, header_marked)]
    return title, lines, published, url


_SKIP_TAGS = {"script", "style", "noscript", "template", "form", "nav", "select", "button",
              "iframe", "svg", "head", "menu", "aside", "input", "textarea", "object"}
_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section",
               "article", "header", "footer", "table", "ul", "ol", "blockquote", "dd", "dt", "main"}
_CHROME_RE = re.compile(r"(^|[\s_-])(menu|nav|navbar|top[_-]?bar|today|tags?|related|breadcrumbs?|share|social|comments?|"
                        r"sidebar|banner|advert|ads|slogan|header|counter|login|search|other|more|widget|"
                        r"toolbar|print|rating|tin[_-]?khac|(?:tin[_-]?|bai[_-]?viet[_-]?)?lien[_-]?quan|"
                        r"cung[_-]?chuyen[_-]?muc)($|[\s_-])", re.I)
_TITLE_CLASS_RE = re.compile(r"title|tieu-?de|heading", re.I)
# " | Cổng thông tin Sở KH&CN", " - Sở Khoa học và Công nghệ TP. Cần Thơ": the site's name after the title
_SITE_SUFFIX_RE = re.compile(r"\s+[|–—-]\s+(?:Sở|Cổng|Trang|Website|Portal|Báo|Tạp chí)\b[^|–—]*$|"
                             r"\s+[|–—-]\s+[^|–—-]*\.(?:vn|com|gov|org)\b[^|–—-]*$", re.I)
_VOID_TAGS = {"br", "img", "hr", "meta", "link", "input", "area", "base", "col", "embed", "source", "wbr"}


class _PageReader(HTMLParser):
    """Collects the main text of a page, line by line, leaving out scripts and site chrome."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.lines: list[str] = []
        self.current: list[str] = []
        self.h1 = ""
        self.in_h1 = False
        self.headline = ""  # the first h2/h3 styled as a title, for pages without an h1
        self.in_headline = False
        self.og_title = ""
        self.url: str | None = None  # <link rel="canonical">, else og:url
        self.page_title = ""
        self.in_title = False
        self.meta_date: dt.date | None = None
        self.footer_lines: list[str] = []
        self.footer_depth = 0
        self.footer_tags: list[int] = []
        self.table: list[list[str]] | None = None  # the rows of the table being read, each a list of cells
        self.header_marked = False  # its first row is made of <th> cells
        self.row: list[str] | None = None  # the cells of the table row being read
        self.row_heads = True  # every cell of that row so far is a <th>

    def _skipping(self) -> bool:
        return any(skip for _, skip in self.stack)

    def _flush(self) -> None:
        line = clean("".join(self.current)).strip("| ")
        if line:
            in_footer = any(tag == "footer" for tag, _ in self.stack) or self.footer_depth
            (self.footer_lines if in_footer else self.lines).append(line)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta":
            prop = (values.get("property") or values.get("name") or "").lower()
            if prop == "og:title" and values.get("content"):
                self.og_title = values["content"] or ""
            if prop == "og:url" and _URL_RE.match((values.get("content") or "").strip()):
                self.url = self.url or (values["content"] or "").strip()
            if prop in ("article:published_time", "date", "pubdate", "dc.date"):
                self.meta_date = _iso_date(values.get("content")) or self.meta_date
            return
        if tag == "link" and "canonical" in (values.get("rel") or "").lower().split() \
                and _URL_RE.match((values.get("href") or "").strip()):
            self.url = (values["href"] or "").strip()  # the canonical address beats og:url
            return
        if tag == "time" and not self.meta_date:
            self.meta_date = _iso_date(values.get("datetime"))
        if tag in ("table", "tr"):
            self._end_row()
        if tag == "table":
            self._end_table()  # a table inside a table: the outer one's rows so far are read first
            self.table, self.header_marked = [], False
        if tag in _BLOCK_TAGS and self.row is None:
            self._flush()
        elif tag in _BLOCK_TAGS and self.row:
            self.row[-1] += " "  # a paragraph or a line break inside a cell
        if tag == "tr":
            self.row, self.row_heads = [], True
        if tag in _VOID_TAGS:
            return
        marker = " ".join(filter(None, (values.get("class"), values.get("id"), values.get("role"))))
        skip = tag in _SKIP_TAGS or bool(marker and _CHROME_RE.search(marker))
        self.stack.append((tag, skip))
        if "footer" in marker.lower():
            self.footer_depth += 1
            self.footer_tags.append(len(self.stack))
        if tag == "h1" and not self.h1:
            self.in_h1 = True
        if tag in ("h2", "h3") and not self.headline and _TITLE_CLASS_RE.search(marker):
            self.in_headline = True
        if tag in ("td", "th") and self.row is not None:
            self.row.append("")
            self.row_heads = self.row_heads and tag == "th"
        elif tag in ("td", "th"):
            self.current.append(" | ")  # a cell outside any row: kept apart from the text before it
        if tag == "title":
            self.in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_TAGS:
            return
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break
        while self.footer_tags and self.footer_tags[-1] > len(self.stack):
            self.footer_tags.pop()
            self.footer_depth -= 1
        if tag in ("tr", "table"):
            self._end_row()
        if tag == "table":
            self._end_table()
        if tag in _BLOCK_TAGS and self.row is None:
            self._flush()
        if tag == "h1":
            self.in_h1 = False
        if tag in ("h2", "h3"):
            self.in_headline = False
        if tag == "title":
            self.in_title = False

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.page_title += data
            return
        if self._skipping():
            return
        if self.in_h1:
            self.h1 += data
        if self.in_headline:
            self.headline += data
        if self.row is not None:
            if not self.row:
                self.row.append("")  # text in a row before any cell
            self.row[-1] += data
        else:
            self.current.append(data)

    def _end_row(self) -> None:
        if self.row is None:
            return
        row, self.row = self.row, None
        if self.table is None:  # a row outside any table
            self.table, self.header_marked = [], False
        if not self.table:
            self.header_marked = self.row_heads
        self.table.append(row)

    def _end_table(self) -> None:
        """A table read: a line for each row, each cell under its column's header (``tables.table_lines``)."""
        if self.table is None:
            return
        rows, self.table = self.table, None
        self._flush()
        for line in table_lines(rows, self.header_marked):
            self.current.append(line)
            self._flush()

    def close(self) -> None:
        super().close()
        self._end_row()
        self._end_table()
        self._flush()


def _html_lines(text: str) -> tuple[str, list[str], dt.date | None, str | None]:
    if not re.search(r"<\s*(html|body|p|div|h1|article)\b", text, re.I):
        raise ParseError("không phải trang HTML hợp lệ")
    reader = _PageReader()
    try:
        reader.feed(text)
        reader.close()
    except (AssertionError, ValueError) as exc:  # pragma: no cover - html.parser is lenient
        raise ParseError(f"HTML hỏng: {exc}") from exc
    title = next(filter(None, (clean(t) for t in (reader.h1, reader.og_title, reader.headline))), "")
    title = _SITE_SUFFIX_RE.sub("", title or clean(reader.page_title))
    footer = ["Footer", *reader.footer_lines] if reader.footer_lines else []
    return title, reader.lines + footer, reader.meta_date, reader.url
