"""The answer engine's word lists: general Vietnamese (and some English) question language.

Nothing here is about a particular article: stop words, the cue words of each question type,
contact attributes, the words that only name the department, provinces and official roles.
Cues are written with their accents; :class:`Cue` keeps both the accented and the bare form, so a
question typed with accents is read on its accents ("mấy" is not "máy").
"""
from __future__ import annotations

from dataclasses import dataclass

from ..text import exact_key, fold


@dataclass(frozen=True)
class Cue:
    kind: str
    exact: tuple[str, ...]
    folded: tuple[str, ...]
    interrogative: bool  # only asks (not a word to look for)
    ambiguous: bool  # its bare form is also another common word ("mấy"/"máy")
    accents_only: bool = False  # only as typed with its accents: its bare form is nearly always another word


def _cues(kind: str, phrases: str, interrogative: bool = True, ambiguous: str = "",
          accents_only: bool = False) -> list[Cue]:
    out = []
    for phrase in phrases.split(","):
        words = phrase.strip().casefold().split()
        if words:
            out.append(Cue(kind, tuple(exact_key(w) for w in words), tuple(fold(w) for w in words),
                           interrogative, phrase.strip() in ambiguous.split(","), accents_only))
    return out


TYPE_CUES: list[Cue] = [
    *_cues("when", "khi nào, bao giờ, lúc nào, ngày nào, ngày mấy, ngày bao nhiêu, năm nào, năm bao nhiêu, "
                   "tháng nào, tháng mấy, hôm nào, thời gian nào, thời điểm nào, dịp nào, when, what date, "
                   "what year, which year, what month, which month, what day", ambiguous="ngày mấy,tháng mấy"),
    *_cues("when", "hạn chót, hạn cuối, thời hạn, hạn nộp, thời gian, diễn ra, date", interrogative=False),
    *_cues("time", "mấy giờ, giờ nào, lúc mấy giờ, what time, giờ", ambiguous="mấy giờ,giờ"),
    *_cues("time", "giờ làm việc, giờ hành chính, giờ mở cửa", interrogative=False),
    *_cues("weekday", "thứ mấy", ambiguous="thứ mấy"),
    # A rank asked after the word that ranks ("Cà Mau đứng thứ mấy", "xếp hạng mấy"): a number, not a day of the
    # week.
    *_cues("count", (ranks := "đứng thứ mấy, xếp thứ mấy, xếp hạng thứ mấy, hạng thứ mấy, thứ hạng mấy, hạng mấy, "
                               "đứng hạng mấy, xếp hạng mấy") + ", what rank, which rank", ambiguous=ranks),
    *_cues("count", "bao nhiêu, mấy, how many, how much, bao lâu, bao xa, how far, how long", ambiguous="mấy"),
    # "sđt nhiêu", "rộng cỡ nhiêu ha": "bao nhiêu" as typed in a hurry; bare "nhieu" is "nhiều" ("cảm ơn nhiều")
    *_cues("count", "nhiêu", accents_only=True),
    # About how many: the approximation is the asker's, not a word to look for ("có tầm bao nhiêu chỗ"), but for
    # "khoảng", which the pages write too ("khoảng 50 ha"); bare "co bao nhieu" is "có bao nhiêu".
    *_cues("count", "tầm bao nhiêu, chừng bao nhiêu, tầm mấy, chừng mấy", ambiguous="tầm mấy,chừng mấy"),
    *_cues("count", "cỡ bao nhiêu, cỡ mấy, cỡ nhiêu, tầm nhiêu, chừng nhiêu", accents_only=True),
    # Words that only frame a question ("tổng cộng bao nhiêu": how many in all): neither a type nor looked for.
    *_cues("frame", "tổng cộng, in total, all together"),
    # Someone or something already named, in a follow-up ("ông ấy giữ chức vụ gì", "nó diễn ra ngày nào"): the
    # conversation says who or what, not these words.
    *_cues("back", "ông ấy, bà ấy, anh ấy, chị ấy, ông này, bà này, người đó, người này"),
    *_cues("back", "ổng, bả, nó", accents_only=True),  # bare, "ong", "ba", "no" are other words
    # A share ("count" of a "%"): the pages write "%", so "phần trăm" is the kind of number asked, not a word
    # to look for.
    *_cues("share", "bao nhiêu phần trăm, mấy phần trăm, what percentage, what percent, how many percent",
           ambiguous="mấy phần trăm"),
    *_cues("count", "số lượng, tổng số", interrogative=False),  # of the noun after them ("tổng số cán bộ")
    # Words naming the quantity asked for themselves: a share, an amount of money.
    *_cues("share", "tỷ lệ, tỉ lệ", interrogative=False),
    *_cues("money", "kinh phí, số tiền, trị giá, giá trị", interrogative=False),
    *_cues("who", "ai, người nào, ông nào, bà nào, những ai, who, whom"),
    *_cues("who", "cơ quan nào, đơn vị nào, tổ chức nào, doanh nghiệp nào, trường nào", interrogative=False),
    *_cues("role", "chức vụ gì, chức vụ nào, chức gì, chức danh gì, chức danh nào, giữ chức vụ gì, giữ chức gì, "
                   "làm chức gì, what position, which position, what role, position"),
    *_cues("where", "ở đâu, tại đâu, nơi nào, chỗ nào, ở nào, đâu, where"),
    *_cues("where", "địa điểm, tổ chức tại, diễn ra tại", interrogative=False),
    *_cues("list", "những gì, gồm những, bao gồm, gồm, những nội dung nào, what are, liệt kê, "
                   "những nào, các nào", interrogative=False),
    *_cues("what", "là gì, là như thế nào, như thế nào, thế nào, ra sao, what is, what"),
    *_cues("current", "hiện nay, hiện tại, bây giờ, hiện giờ, mới nhất, now, currently, current"),
    # When the page itself was published: its date, which every reply shows beside its source.
    *_cues("published", "đăng ngày nào, đăng ngày mấy, đăng hôm nào, đăng khi nào, đăng lúc nào, đăng bao giờ, "
                        "đăng vào ngày nào, đăng vào hôm nào, đăng vào lúc nào, đăng ngày bao nhiêu, published, "
                        "posted", ambiguous="đăng ngày mấy"),
    # Where the page was taken from: its byline ("Theo Báo Cần Thơ").
    *_cues("origin", "theo báo nào, lấy theo báo nào, nguồn từ báo nào, lấy nguồn từ báo nào, lấy nguồn từ đâu, "
                     "nguồn từ đâu, lấy từ báo nào, của báo nào, báo nào đăng, trích từ báo nào, trích từ đâu, "
                     "which newspaper, what newspaper"),
    # Words naming the page itself ("bài viết về …", "tin … đăng ngày nào"): nothing to look for in it.
    *_cues("page", "bài, bài viết, bài báo, tin tức, bản tin, article, post, news story, news item",
           interrogative=False),
    # Courtesy around the question: never words to look for.
    *_cues("polite", "cho mình hỏi, cho em hỏi, cho tôi hỏi, cho hỏi, xin hỏi, cho mình xin, cho em xin, "
                     "cho tôi xin, cho xin, làm ơn, vui lòng, cảm ơn, cám ơn, giúp mình, giúp em, giúp tôi, "
                     "thank you, thanks, please, can you tell me"),
]

CONTACT_ATTRIBUTES: list[Cue] = [
    *_cues("phone", "số điện thoại, điện thoại, số máy, gọi số, phone number, phone, telephone, tel",
           ambiguous="số máy"),
    *_cues("fax", "số fax, fax"),
    *_cues("email", "email, e mail, thư điện tử, hộp thư, mail, địa chỉ email, địa chỉ thư điện tử, email address, "
                    "e mail address, mail address"),
    *_cues("hotline", "hotline, đường dây nóng"),
    *_cues("address", "địa chỉ, trụ sở, address, located, tọa lạc, toạ lạc, nằm ở, phường nào, quận nào, "
                      "huyện nào, xã nào, đường nào, phường gì, quận gì, huyện gì, xã gì, đường gì, nằm đâu, "
                      "nằm chỗ nào"),
    *_cues("contact", "thông tin liên hệ, liên hệ, liên lạc, contact"),
]

# Head words of the names of organisations, local authorities and people ("Phòng Kinh tế …", "công an phường …",
# "xã Mỹ Khánh", "ông …", "giám đốc …"): a contact question naming none asks for the department's own contacts,
# whatever else it says ("muốn nộp hồ sơ trực tiếp thì tới địa chỉ nào").
NAME_HEADS: list[Cue] = _cues("name", """sở, phòng, ban, trung tâm, chi cục, cục, viện, trường, bệnh viện, công an,
    ủy ban, uỷ ban, ubnd, hội, bộ, công ty, ngân hàng, hợp tác xã, htx, đại học, văn phòng, thanh tra, tòa án,
    toà án, quận, huyện, xã, phường, tỉnh, thành ủy, thành uỷ, đoàn, liên hiệp, quỹ, cơ quan, đơn vị, doanh nghiệp,
    nhà máy, trạm, đội, khu, ông, bà, giám đốc, chủ tịch, trưởng, chánh, cán bộ, chuyên viên, agency, office,
    centre, center, institute, university, company, ministry, department, committee, police, mr, mrs, ms, director,
    chairman, head""".replace("\n", " "), interrogative=False)
# Stop words as written with their accents (matched on exact keys of the typed form).
_STOP_WRITTEN = """là của và có không được cho tôi mình em bạn anh chị ạ ơi nhé nha vậy thế thì mà với
các những này đó kia ấy một cái về ở tại trong nào gì ai đâu sao hỏi xin biết muốn giúp hãy vui lòng làm
như để đã đang sẽ bị rồi thôi hả nhỉ vâng dạ ừ à nhờ giùm dùm nè luôn ra đến từ theo trên bởi vì nên nếu
hay hoặc cũng đều rất lắm quá nữa còn chỉ mỗi mọi tất cả thể hông chào alo ơn chút ad admin bot
cụ thể ha hen nghen tới""".split()
STOP_EXACT = frozenset(exact_key(w) for w in _STOP_WRITTEN)
# Bare forms that are stop words whatever accents were meant.
STOP_FOLDED = frozenset("""la cua va khong duoc em ad a oi nhe nha vay voi cac nhung kia ay ve o nao gi ai
sao xin hay vui ra tren nua deu rat tat ca hoac neu gium dum ne luon roi chao alo hello hi admin bot""".split())
# English stop words: the function words, as the Vietnamese list has its own (pronouns, "sẽ", "đã", "về", "nếu",
# "cũng", "rất", "chỉ", "mỗi"). Those that are also Vietnamese syllables ("can" of "Cần Thơ", "to" of "tổ chức",
# "do", "an", "in") are only possibly stop words.
ENGLISH_STOPS = frozenset("""what is are was were the a an of to in on at for and or by with does do did which
who whom when where how many much please tell me i you it its this that from as be been can could
will would shall should might must has have had being there their they them we us our your yours his her him she
about into if but also very too only each every all these those then not any some just during through under
over between among within without before after since until across against toward towards upon via per""".split())
# English verbs whose past forms take no "-ed" (base past participle): "took part" is what a page writes
# "taking part" or "take part"; the regular forms come from the pages' own words (``QuestionReader``).
ENGLISH_IRREGULAR_VERBS = tuple(tuple(line.split()) for line in """become became become|begin began begun
bring brought brought|build built built|buy bought bought|choose chose chosen|come came come|draw drew drawn
drive drove driven|fall fell fallen|feel felt felt|find found found|get got got|give gave given|go went gone
grow grew grown|have had had|hear heard heard|hold held held|keep kept kept|know knew known|lay laid laid
lead led led|leave left left|lend lent lent|lose lost lost|make made made|mean meant meant|meet met met
pay paid paid|rise rose risen|run ran run|say said said|see saw seen|sell sold sold|send sent sent
show showed shown|speak spoke spoken|spend spent spent|stand stood stood|take took taken|teach taught taught
tell told told|think thought thought|understand understood understood|undertake undertook undertaken
win won won|write wrote written|set set set|put put put|cut cut cut|cost cost cost|let let let
withdraw withdrew withdrawn|overcome overcame overcome|seek sought sought|sit sat sat|wear wore worn""".replace(
    "\n", "|").split("|"))
# Prepositions, as written: a count cue followed by one counts no noun after it ("xếp hạng mấy trên cả nước" asks
# which rank, not how many "nước").
PREPOSITIONS = frozenset("của về ở tại trong từ theo trên dưới đến tới với cho bởi vào".split())
# Bare forms of stop words that are also content words (bạn / giao ban, chợ, xăng dầu, đề tài, …).
AMBIGUOUS_BARE_STOPS = frozenset(fold(w) for w in _STOP_WRITTEN) - STOP_FOLDED

# Words that only name the department ("Sở Khoa học và Công nghệ thành phố Cần Thơ").
_DEPARTMENT_WRITTEN = """sở khoa học và công nghệ kỹ thuật thành phố cần thơ bên quý department science technology
city dost""".split()
DEPARTMENT_WORDS = frozenset(fold(w) for w in _DEPARTMENT_WRITTEN)
_DEPARTMENT_EXACT = frozenset(exact_key(w) for w in _DEPARTMENT_WRITTEN)


def names_the_department(token) -> bool:
    """Is a (question) token a word of the department's name ("sở", "khcn" spelt out, "quý sở")? Typed with its
    accents, only as the name writes it: "quỹ" is a fund, "khóa học" a course."""
    return token.folded in DEPARTMENT_WORDS and (not token.marked or token.exact in _DEPARTMENT_EXACT)

HOME_PROVINCE = "can tho"  # the department's own city, which nearly every page names
PROVINCES = frozenset("""an giang|ba ria vung tau|bac giang|bac kan|bac lieu|bac ninh|ben tre|binh dinh|
binh duong|binh phuoc|binh thuan|ca mau|can tho|cao bang|da nang|dak lak|dak nong|dien bien|dong nai|
dong thap|gia lai|ha giang|ha nam|ha noi|ha tinh|hai duong|hai phong|hau giang|hoa binh|hung yen|khanh hoa|
kien giang|kon tum|lai chau|lam dong|lang son|lao cai|long an|nam dinh|nghe an|ninh binh|ninh thuan|phu tho|
phu yen|quang binh|quang nam|quang ngai|quang ninh|quang tri|soc trang|son la|tay ninh|thai binh|thai nguyen|
thanh hoa|thua thien hue|tien giang|tra vinh|tuyen quang|vinh long|vinh phuc|yen bai|ho chi minh""".replace("\n", "").split("|"))

# Words naming a local administrative unit: the two words after one name a place ("huyện Cờ Đỏ").
ADMINISTRATIVE_UNITS = frozenset({"huyen", "quan", "phuong", "xa", "tinh", "ap"})
# The units of a place asked for by name ("ở phường nào", "xã nào"): the answer writes the unit before the name
# ("phường Tân An"). Not a province, nor a street: often named alone ("An Giang", "Số 3 Hòa Bình").
ADDRESS_UNITS = ADMINISTRATIVE_UNITS - {"tinh"}

# Words of the calendar: a number before one is part of a date or a span, not a count of things.
CALENDAR_WORDS = frozenset({"nam", "thang", "ngay", "gio", "h", "tuan", "quy"})

# Words that make a role its deputy ("phó giám đốc", "deputy director").
DEPUTY_WORDS = ("pho", "deputy", "vice")

ROLE_WORDS = frozenset("""giam doc|chu tich|truong ban|truong phong|truong doan|chanh thanh tra|
chanh van phong|chi cuc truong|hieu truong|vien truong|bi thu|bo truong|thu truong|chu nhiem|cuc truong|
truong khoa|truong nhom|nhom truong|to truong|doi truong|khoi truong|truong tram|director|chairman|head""".replace("\n", "").split("|"))

# Things that exclude each other: each tuple lists the ways of naming one alternative. A sentence that names
# another alternative and never the one asked (the closing speech for the opening one, the second prize for
# the first) answers something else.
CONTRASTS: tuple[tuple[tuple[str, ...], ...], ...] = (
    (("khai mac", "bat dau", "khai giang", "khoi dong", "opening", "opened", "began", "start"),
     ("be mac", "ket thuc", "be giang", "closing", "closed", "ended")),
    (("giai nhat", "giai a", "first prize"), ("giai nhi", "giai b", "second prize"), ("giai ba", "giai c", "third prize"),
     ("giai khuyen khich", "consolation prize"), ("giai dac biet", "special prize")),
    (("huy chuong vang", "giai vang", "gold medal"), ("huy chuong bac", "giai bac", "silver medal"),
     ("huy chuong dong", "giai dong", "bronze medal")),
)
# A counted noun that asks for an amount of money ("bao nhiêu tiền").
MONEY_WORDS = frozenset({"tien", "kinh phi", "so tien", "tri gia", "gia tri", "money", "cost"})

# The counted noun of a question asking for a share ("bao nhiêu phần trăm", "what percentage").
PERCENT = "%"

# Every word the lexicon looks for: a typo is corrected towards these even when no article holds them.
LEXICON_WORDS = frozenset(
    {w for cue in TYPE_CUES + CONTACT_ATTRIBUTES for w in cue.folded if len(w) >= 2} | DEPARTMENT_WORDS)

# Nouns naming a website: "trang web nào", "địa chỉ web là gì" ask for a web address ("trang" only before "nào").
# Documents a question may ask which of ("theo quyết định nào"): a document's number answers, not a sentence naming
# the kind ("các văn bản hướng dẫn").
DOCUMENT_NOUNS = frozenset(fold(w) for w in ("quyết định", "nghị quyết", "nghị định", "thông tư", "kế hoạch",
                                              "công văn", "chỉ thị", "thông báo", "tờ trình"))
WEBSITE_NOUNS = frozenset({"trang web", "website", "web", "trang", "dia chi web", "trang thong tin", "cong thong tin"})
