"""Word lists for Vietnamese questions: default abbreviations, stop words, question types.

The abbreviation table here only seeds a new knowledge base; staff extend it there
(``kb abbrev``). Stop words and question-type cues are linguistic, not about any article.
"""
from __future__ import annotations

import re

from .text import ContextualReading, exact_key, fold

# Abbreviations, teencode and common misspellings → what they stand for.
DEFAULT_ABBREVIATIONS: dict[str, str] = {
    "kh&cn": "khoa học và công nghệ", "khcn": "khoa học và công nghệ",
    "dost": "department of science and technology",  # its English pages' and visitors' name for the Sở
    "kh&kt": "khoa học và kỹ thuật", "khkt": "khoa học kỹ thuật",
    "sđt": "số điện thoại", "sdt": "số điện thoại", "đt": "điện thoại", "dt": "điện thoại",
    "đthoai": "điện thoại", "dthoai": "điện thoại", "sdth": "số điện thoại",
    "tp": "thành phố", "tphcm": "thành phố hồ chí minh", "hcm": "hồ chí minh",
    "ubnd": "ủy ban nhân dân", "hđnd": "hội đồng nhân dân",
    "đbscl": "đồng bằng sông cửu long",
    "dn": "doanh nghiệp", "dnnvv": "doanh nghiệp nhỏ và vừa", "htx": "hợp tác xã",
    "ko": "không", "k": "không", "hok": "không", "khg": "không", "hong": "không", "hông": "không", "kg": "không",
    "ad": "", "admin": "", "j": "gì", "gj": "gì", "gì": "gì", "z": "vậy", "v": "vậy", "vs": "với",
    "bnhiu": "bao nhiêu", "bnhieu": "bao nhiêu", "nhiu": "nhiêu",
    "mn": "mọi người", "ntn": "như thế nào", "đk": "đăng ký", "dk": "đăng ký",
    "dky": "đăng ký", "đky": "đăng ký", "mk": "mình", "mik": "mình", "mh": "mình",
    "ng": "người", "cty": "công ty", "đh": "đại học", "dh": "đại học",
    "đhct": "đại học cần thơ", "dhct": "đại học cần thơ",
    "shtt": "sở hữu trí tuệ", "nckh": "nghiên cứu khoa học", "đmst": "đổi mới sáng tạo",
    "dmst": "đổi mới sáng tạo", "qđ": "quyết định", "gđ": "giám đốc", "pgđ": "phó giám đốc",
    "e": "em", "mail": "email", "gmail": "email", "thui": "thôi", "r": "rồi", "dc": "được", "đc": "được",
    "wa": "quá", "dzậy": "vậy", "zậy": "vậy", "zị": "vậy", "ak": "à", "ah": "à", "uk": "ừ",
    # Names of ministries and departments as the press abbreviates them ("Sở NN&PTNT"), and of civil servants.
    # Not the bare four-letter forms ("tttt", "tnmt"): one letter from other initialisms ("TSTT"), they would
    # be taken for them.
    "nn&ptnt": "nông nghiệp và phát triển nông thôn", "nnptnt": "nông nghiệp và phát triển nông thôn",
    "tt&tt": "thông tin và truyền thông", "tn&mt": "tài nguyên và môi trường", "gd&đt": "giáo dục và đào tạo",
    "kh&đt": "kế hoạch và đầu tư", "lđtb&xh": "lao động thương binh và xã hội",
    "ldtbxh": "lao động thương binh và xã hội", "cbccvc": "cán bộ công chức viên chức",
    # The quality offices' initialism ("Chi cục TĐC"), of words, not syllables: no page spells it out letter
    # by letter, so ``initialisms`` cannot.
    "tđc": "tiêu chuẩn đo lường chất lượng", "tdc": "tiêu chuẩn đo lường chất lượng",
}

# Words whose reading depends on their neighbours (``ContextualReading``). "đc ở đâu", "cho xin đc" are an address,
# "đc không" is "được không". "bn là ai", "bn ơi", "cảm ơn bn nhiều", "vậy bn" are "bạn"; "có bn giải", "giúp bn
# người", "phí là bn vậy", "kinh phí hết bn" are "bao nhiêu". "e" is "em", but "e mail" is an email ("mail" reads
# "email").
_ADDRESS_CUES = frozenset({"o", "cua", "so", "tru", "la", "lien", "nha", "xin", "cho", "gui", "phong", "trung", "chi"})
CONTEXTUAL_ABBREVIATIONS: dict[str, ContextualReading] = {
    "đc": ContextualReading("địa chỉ", "được", _ADDRESS_CUES, _ADDRESS_CUES, at_end=True),
    "dc": ContextualReading("địa chỉ", "được", _ADDRESS_CUES, _ADDRESS_CUES, at_end=True),
    "bn": ContextualReading(
        "bạn", "bao nhiêu",
        frozenset({"la", "oi", "ten", "biet", "giup", "lam", "dang", "hoi", "nhe", "nha", "a", "nhieu", "voi"}),
        frozenset({"vay", "on", "chao", "hi", "hello", "oi"})),
    "e": ContextualReading("", "em", frozenset({"mail"})),
}

# Stop words, as typed with diacritics: matched on the exact key of marked words.
_STOP_MARKED = """là của và có không được cho tôi mình em bạn ạ ơi nhé vậy thế thì mà với các
những này đó kia ấy một cái về ở tại trong nào gì ai đâu sao bao nhiêu mấy khi lúc hỏi xin
biết muốn giúp hãy vui lòng làm như để đã đang sẽ bị rồi thôi hả nhỉ vâng dạ ừ à nhờ giùm dùm
nè luôn ra đến từ theo trên bởi vì nên nếu hay hoặc cũng đều rất lắm quá nữa còn chỉ mỗi mọi
tất cả thể nhé hông vậy chào alo hello hi ơn""".split()
# Stop words typed without diacritics: only those whose bare form is not also a content word
# (not "ban" of "giao ban", "cho" of "chợ", "dau" of "xăng dầu", "tai" of "đề tài", "dang" of
# "đăng ký", "thoi" of "thời gian", "nho" of "nhỏ và vừa", "nhi" of "giải nhì").
_STOP_BARE = """la cua va khong duoc em ad a oi nhe vay voi cac nhung kia ay ve o
nao gi ai sao nhieu xin hay vui ra tren con nua deu rat tat ca hoac neu boi vang gium dum ne luon roi
chao alo hello hi""".split()

STOP_EXACT = frozenset(exact_key(w) for w in _STOP_MARKED)
STOP_FOLDED = frozenset(_STOP_BARE)

# Question types, recognised on the folded question text.
QUESTION_TYPES: dict[str, re.Pattern[str]] = {
    "fax": re.compile(r"\bfax\b"),
    "email": re.compile(r"\b(email|e mail|thu dien tu|hop thu)\b"),
    "hotline": re.compile(r"\b(hotline|duong day nong)\b"),
    "phone": re.compile(r"\b(dien thoai|goi dien|so may|lien lac|goi so|sdt|phone|telephone|tel)\b"),
    # "địa chỉ email", "địa chỉ web", "email address" ask no postal address
    "address": re.compile(r"\b(dia chi(?! (?:e ?mail|thu|hop thu|web|website|trang))|tru so|o dau|nam o|nam tai|"
                          r"toa lac|phuong nao|quan nao|"
                          r"duong nao|cho nao|cho lam viec|van phong|(?<!mail )(?<!web )address|located)\b"),
    "contact": re.compile(r"\b(lien he|thong tin lien|lien lac|contact)\b"),
    "when": re.compile(r"\b(ngay nao|ngay may|ngay bao nhieu|khi nao|bao gio|luc nao|thoi gian nao|"
                       r"nam nao|thang nao|hom nao|han chot|han nop|han nhan|thoi han|han cuoi|"
                       r"den ngay nao|thoi diem nao|dien ra ngay|vao ngay|thoi gian)\b|^han\b"),
    "weekday": re.compile(r"\b(thu may|ngay thu may|nhung ngay nao trong tuan)\b"),
    "time": re.compile(r"\b(gio nao|may gio|luc may gio|gio lam viec|gio mo cua|gio hanh chinh|khung gio)\b|"
                       r"(?<!bay )(?<!hien )\bgio\b"),
    "count": re.compile(r"\b(bao nhieu|may|so luong|ty le|bao lau|tong so|muc thuong)\b"),
    "who": re.compile(r"\b(ai|nguoi nao|ong nao|ba nao|nhung ai|la ai)\b"),
    "where": re.compile(r"\b(o dau|tai dau|noi nao|dia diem|cho nao|o nao)\b"),
}
CONTACT_TYPES = ("fax", "email", "hotline", "phone", "address", "contact")
# Pure interrogatives: they say what kind of answer is wanted and are not words to look for.
QUESTION_WORDS = re.compile(r"\b(bao nhieu|may|khi nao|bao gio|luc nao|ngay nao|ngay may|nam nao|thang nao|"
                            r"hom nao|o dau|tai dau|noi nao|cho nao|o nao|la ai|nguoi nao|gio nao|may gio|"
                            r"the nao|nhu the nao|ra sao|la gi|co phai)\b|(?<!bay )(?<!hien )\bgio\b")

# Words that only say "the department" or ask for its contacts; what is left of a contact
# question after removing them names the unit asked about (if any).
CONTACT_WORDS = frozenset(fold(w) for w in """địa chỉ trụ sở ở đâu nằm tọa lạc tọa lạc phường quận
đường nào chỗ nơi văn phòng làm việc số điện thoại gọi máy liên lạc liên hệ thông tin fax email
e mail thư điện tử hộp thư hotline đường dây nóng của cho xin hỏi là gì bao nhiêu sở khoa học và
công nghệ kỹ thuật thành phố cần thơ tp bên cơ quan đơn vị mình các anh chị quý ạ vậy nhé ơi
hiện nay bây giờ mới nhất ở đâu ko không biết muốn gửi đến tới what is the of department science and
technology can tho city where address phone number telephone contact located""".split())

# Every word the lexicon itself looks for: a typo is corrected towards these even when no article
# holds them ("dien thaoi" → "dien thoai").
LEXICON_WORDS = frozenset(
    CONTACT_WORDS
    | {w for pattern in (*QUESTION_TYPES.values(), QUESTION_WORDS)
       for w in re.findall(r"[a-z]+", pattern.pattern.replace(r"\b", " ")) if len(w) >= 2})

# Phrases of general administrative Vietnamese that say the same thing, one group a line: a question
# word is found in a page that writes another phrase of its group. Staff extend them (``kb synonyms``). The
# last groups say the first ones' in English, for the English pages.
DEFAULT_SYNONYMS: list[str] = """
thành lập|ra đời|hình thành
tổ chức|diễn ra
vi phạm|sai phạm
trưởng đoàn|dẫn đầu|dẫn đoàn
chủ trì|chủ tọa|điều hành
kinh phí|ngân sách|chi phí
hỗ trợ|tài trợ
giải thưởng|phần thưởng|tiền thưởng
hạn chót|hạn cuối|thời hạn|hạn nộp|hết ngày
tham gia|tham dự
ghi danh|đăng ký
bắt đầu|khởi động|khai mạc
kết thúc|bế mạc
số lượng|tổng số
mục tiêu|mục đích
người dân|công dân
xử phạt|phạt tiền
đổi tên|mang tên
công ty|doanh nghiệp
ban hành|ký ban hành
trực tuyến|online|qua mạng
khởi nghiệp|startup
trang web|website|trang thông tin điện tử|cổng thông tin
miễn phí|không mất tiền|không thu phí|free
đầu tư|rót vốn|cấp vốn
nhãn hiệu|thương hiệu
tiểu thương|người buôn bán|người bán hàng
phê duyệt|duyệt|thông qua
triển khai|thực hiện
đại biểu|người tham dự|khách mời
sài gòn|hồ chí minh
nộp|gửi
trao|tặng|trao tặng
giảm|cắt giảm|cắt bớt|lược bớt
trưng bày|triển lãm
khen thưởng|tuyên dương|biểu dương
số hóa|chuyển đổi số
tập huấn|đào tạo|bồi dưỡng
held|take place|took place|takes place
established|founded|set up
cost|budget|funding
attend|attended|participate|participated|take part|took part
giải quyết|xử lý
sử dụng|xài
ban đầu|lúc đầu|hồi đầu|trước đây|trước kia|ngày xưa|hồi trước
""".strip().splitlines()
