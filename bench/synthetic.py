"""Deterministic synthetic knowledge base: N articles in the department's plain-text page format.

Each article is a realistic Vietnamese news page (header, slogan, title, ``[dd/mm/yyyy hh:mm]``
stamp, body, author, footer with the department's contacts). The body mixes template sentences
about an event (who chaired it, where, when, how many of what) with filler paragraphs drawn from
a syllable bigram chain trained on the bundled real articles, so the vocabulary and sentence
lengths are those of real pages. The same seed always gives the same pages, and the first N
articles of a larger run are the N articles of a smaller one.

Every article also yields its facts, from which :func:`questions` builds questions with
diacritics, without them, and with typos.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from knowledge.ingest.parsing import parse_document
from knowledge.text import fold

HEADER = ("SỞ KHOA HỌC VÀ CÔNG NGHỆ THÀNH PHỐ CẦN THƠ\n\n"
          "Khoa học, công nghệ và Đổi mới sáng tạo - Khơi dậy khát vọng kiến tạo tương lai")
FOOTER = ("Bản quyền @ {year} thuộc về Sở Khoa học và Công nghệ thành phố Cần Thơ\n"
          "Địa chỉ: Số 02, Lý Thường Kiệt, phường Tân An, quận Ninh Kiều, thành phố Cần Thơ\n"
          "Điện thoại: 0292.3820674, Fax: 0292.3821471; Email: sokhcn@cantho.gov.vn")

EVENTS = ["Hội thảo khoa học về", "Hội nghị tổng kết chương trình", "Tập huấn nâng cao năng lực về",
          "Nghiệm thu đề tài", "Hội thi sáng tạo trong lĩnh vực", "Kiểm tra chuyên đề về",
          "Tọa đàm chuyển giao công nghệ", "Diễn đàn khởi nghiệp về", "Ký kết hợp tác phát triển",
          "Triển lãm sản phẩm", "Hội nghị giao ban về", "Lớp bồi dưỡng kiến thức"]
TOPICS = ["nuôi trồng thủy sản bền vững", "chuyển đổi số doanh nghiệp", "năng lượng tái tạo",
          "an toàn bức xạ y tế", "đo lường xăng dầu", "sở hữu trí tuệ cho nông sản",
          "giống lúa chịu mặn", "xử lý nước thải sinh hoạt", "truy xuất nguồn gốc trái cây",
          "thương mại điện tử nông thôn", "công nghệ sinh học thực phẩm", "tiêu chuẩn chất lượng gạo",
          "cơ giới hóa đồng bằng", "bảo quản sau thu hoạch", "trí tuệ nhân tạo trong quản lý",
          "phân bón hữu cơ vi sinh", "thiết bị y tế thông minh", "đổi mới sáng tạo trong trường học",
          "mô hình kinh tế tuần hoàn", "nhãn hiệu tập thể đặc sản", "an toàn thực phẩm chợ truyền thống",
          "công nghệ in 3D", "dữ liệu khí tượng thủy văn", "du lịch sinh thái miệt vườn",
          "chế biến sâu cá tra", "vật liệu xây dựng xanh", "điện mặt trời áp mái",
          "phòng chống sạt lở bờ sông", "nhà kính trồng rau", "năng suất chất lượng sản phẩm"]
PLACES = ["quận Ninh Kiều", "quận Bình Thủy", "quận Cái Răng", "quận Ô Môn", "quận Thốt Nốt",
          "huyện Phong Điền", "huyện Cờ Đỏ", "huyện Vĩnh Thạnh", "huyện Thới Lai"]
VENUES = ["Hội trường Sở Khoa học và Công nghệ", "Trung tâm Hội nghị thành phố", "Hội trường UBND {place}",
          "Trường Đại học Cần Thơ", "Khu công nghệ cao", "Trung tâm Ứng dụng tiến bộ KH&CN"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
          "Dương", "Lý", "Châu", "Lâm", "Tô", "Thái"]
MIDDLE = ["Văn", "Thị", "Minh", "Hoàng", "Ngọc", "Thanh", "Quốc", "Hữu", "Thành", "Kim", "Đức", "Phương"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hải", "Hạnh", "Khoa", "Lâm", "Linh", "Long", "Mai",
         "Nam", "Nguyên", "Phúc", "Quang", "Sơn", "Tâm", "Thảo", "Trí", "Tuấn", "Vân", "Vinh", "Yến"]
ROLES = ["Giám đốc Sở Khoa học và Công nghệ", "Phó Giám đốc Sở Khoa học và Công nghệ",
         "Phó Chủ tịch UBND {place}", "Trưởng phòng Quản lý khoa học", "Chánh Văn phòng Sở"]
COUNTED = ["doanh nghiệp", "hộ dân", "cơ sở sản xuất", "đại biểu", "mô hình", "sản phẩm", "học viên",
           "hợp tác xã"]
AUTHORS = ["TT Thông tin KH&CN", "Phòng Quản lý chuyên ngành", "Văn phòng Sở", "Trung tâm Ứng dụng"]
OUT_OF_SCOPE = ["Thời tiết Cần Thơ ngày mai có mưa không?", "Giá vàng SJC hôm nay bao nhiêu?",
                "Kết quả bóng đá ngoại hạng Anh tối qua", "Cách làm bánh xèo miền Tây",
                "Lịch chiếu phim rạp Cần Thơ cuối tuần", "Mua xe máy trả góp ở đâu?",
                "Tỷ giá đô la hôm nay", "Học bằng lái xe ô tô mất bao lâu?",
                "quan nhau nao ngon o cai rang", "Khi nào có kết quả xổ số kiến thiết?",
                "Đặt vé xe khách đi Sài Gòn", "Bệnh viện nào khám nhi tốt?"]
CONTACT_QUESTIONS = [("Số điện thoại của Sở KH&CN là gì?", "3820674"), ("sdt so khcn", "3820674"),
                     ("email so khoa hoc cong nghe can tho", "sokhcn@cantho.gov.vn"),
                     ("Địa chỉ Sở Khoa học và Công nghệ ở đâu?", "Lý Thường Kiệt"),
                     ("Số fax của Sở?", "3821471"), ("dia chi so khcn o dau", "Lý Thường Kiệt")]


@dataclass(frozen=True)
class Facts:
    subject: str  # event + topic + place, unique within a run
    year: int
    date: str  # d/m/yyyy, as in the body
    chair: str
    count: int
    counted: str


@dataclass(frozen=True)
class Page:
    name: str
    text: str
    facts: Facts


class Chain:
    """Syllable bigram chain over the paragraphs of real articles."""

    def __init__(self, paragraphs: list[str]):
        self.next: dict[str, list[str]] = {}
        self.starts: list[str] = []
        for paragraph in paragraphs:
            words = paragraph.split()
            if len(words) < 8:
                continue
            self.starts.append(words[0])
            for a, b in zip(words, words[1:]):
                self.next.setdefault(a, []).append(b)

    def sentence(self, rng: random.Random, min_words: int = 12, max_words: int = 32) -> str:
        word = rng.choice(self.starts)
        words = [word]
        while len(words) < max_words:
            choices = self.next.get(word)
            if not choices or (len(words) >= min_words and word.endswith(".")):
                break
            word = rng.choice(choices)
            words.append(word)
        text = " ".join(words).rstrip(",;:")
        return text if text.endswith(".") else text + "."


def corpus_paragraphs(sample_dir: Path) -> list[str]:
    """Body paragraphs of the Vietnamese real articles (English pages are left out)."""
    paragraphs = []
    for path in sorted(sample_dir.iterdir()):
        if path.name.lower().startswith("readme") or "-en." in path.name:
            continue
        try:
            paragraphs.extend(parse_document(path.name, path.read_bytes()).paragraphs)
        except ValueError:
            continue
    return paragraphs


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def generate(n: int, sample_dir: Path, seed: int = 7) -> list[Page]:
    rng = random.Random(seed)
    chain = Chain(corpus_paragraphs(sample_dir))
    pages, used = [], set()
    for i in range(n):
        while True:
            event, topic, place = rng.choice(EVENTS), rng.choice(TOPICS), rng.choice(PLACES)
            year = rng.randint(2010, 2025)
            if (event, topic, place, year) not in used:
                used.add((event, topic, place, year))
                break
        day, month = rng.randint(1, 28), rng.randint(1, 12)
        chair = _name(rng)
        role = rng.choice(ROLES).format(place=place)
        honorific = "Bà" if " Thị " in chair else "Ông"
        count, counted = rng.randint(12, 480), rng.choice(COUNTED)
        venue = rng.choice(VENUES).format(place=place)
        subject = f"{event} {topic} tại {place}"
        title = f"{subject} năm {year}"
        date = f"{day}/{month}/{year}"
        stamp_day = min(day + rng.randint(0, 3), 28)
        body = [
            f"Ngày {date}, tại {venue}, Sở Khoa học và Công nghệ thành phố Cần Thơ phối hợp với UBND "
            f"{place} tổ chức {event[0].lower() + event[1:]} {topic}. {honorific} {chair}, {role}, chủ trì "
            f"{rng.choice(['hội nghị', 'chương trình', 'buổi làm việc'])}.",
            " ".join(chain.sentence(rng) for _ in range(rng.randint(2, 4))),
            f"Năm {year}, chương trình đã hỗ trợ {count} {counted} trên địa bàn {place}, với tổng kinh phí "
            f"{rng.randint(2, 95)} tỷ đồng; {rng.randint(3, 60)} nhiệm vụ khoa học và công nghệ được triển khai. "
            + chain.sentence(rng),
            " ".join(chain.sentence(rng) for _ in range(rng.randint(2, 5))),
        ]
        if rng.random() < 0.5:
            body.append(" ".join(chain.sentence(rng) for _ in range(rng.randint(1, 3))))
        text = "\n\n".join([HEADER, title, f"[{stamp_day:02d}/{month:02d}/{year} {rng.randint(7, 17):02d}:"
                                             f"{rng.randint(0, 59):02d}]", *body, rng.choice(AUTHORS),
                            FOOTER.format(year=year)])
        pages.append(Page(f"synthetic-{i:05d}.txt", text + "\n",
                          Facts(subject, year, date, chair, count, counted)))
    return pages


def write(pages: list[Page], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for page in pages:
        (folder / page.name).write_text(page.text, encoding="utf-8")


def typo(text: str, rng: random.Random) -> str:
    """The text with one letter swapped with its neighbour in one of its longer words."""
    words = text.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long_words:
        return text
    i = rng.choice(long_words)
    w = words[i]
    j = rng.randint(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def questions(pages: list[Page], count: int, seed: int = 11) -> list[dict]:
    """A mixed question set over synthetic pages: facts (with diacritics, without, with typos),
    department contacts and out-of-scope questions, each item tagged with its ``category``."""
    rng = random.Random(seed)
    items: list[dict] = []
    for q, expected in CONTACT_QUESTIONS:
        items.append({"q": q, "expect_any": [expected], "category": "contact"})
    for q in OUT_OF_SCOPE:
        items.append({"q": q, "answered": False, "category": "out of scope"})
    # The count question names no event, so at scale several pages fit its words (another event on the same
    # topic, place and year): each of their figures is a right answer.
    counts: dict[tuple, list[str]] = {}
    for page in pages:
        counts.setdefault(_count_key(page.facts), []).append(f"{page.facts.count} {page.facts.counted}")
    chosen = rng.sample(pages, min(count, len(pages)))
    for k, page in enumerate(chosen):
        f = page.facts
        q, expected = [(f"Ai chủ trì {f.subject[0].lower() + f.subject[1:]} năm {f.year}?", [f.chair]),
                       (f"{f.subject} năm {f.year} diễn ra ngày nào?", [f.date]),
                       (f"Năm {f.year} chương trình hỗ trợ bao nhiêu {f.counted} trên địa bàn "
                        f"{f.subject.split(' tại ')[1]} về {_topic(f.subject)}?", counts[_count_key(f)])][k % 3]
        variant = ("fact", "no diacritics", "typo")[(k // 3) % 3]
        if variant != "fact":
            q = fold(q)
            if variant == "typo":
                q = typo(q, rng)
        items.append({"q": q, "expect_any": expected, "category": variant})
    return items


def _count_key(f: Facts) -> tuple:
    """What the count question says of its page: year, place, topic and the thing counted."""
    return f.year, f.subject.split(" tại ")[1], _topic(f.subject), f.counted


def _topic(subject: str) -> str:
    head = subject.split(" tại ")[0]
    for event in EVENTS:
        if head.startswith(event):
            return head[len(event):].strip()
    return head
