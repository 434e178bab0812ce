"""Every sentence the bot says on its own (greetings, help, apologies), in Vietnamese."""
from __future__ import annotations

BOT_NAME = "trợ lý hỏi đáp của Sở Khoa học và Công nghệ thành phố Cần Thơ"

EXAMPLE_QUESTIONS = [
    "Địa chỉ Sở ở đâu?",
    "Số điện thoại của Sở là gì?",
    "Email của Sở là gì?",
]

CAPABILITIES = ("Tôi trả lời các câu hỏi về Sở Khoa học và Công nghệ thành phố Cần Thơ: địa chỉ, "
                "số điện thoại, fax, email, và các hoạt động, sự kiện, chương trình mà Sở đã đăng tin. "
                "Mỗi câu trả lời đều ghi rõ nguồn và ngày đăng.")

SMALLTALK_REPLIES = {
    "greeting": f"Xin chào! Tôi là {BOT_NAME}. {CAPABILITIES} "
                "Bạn cứ hỏi, ví dụ: «Địa chỉ Sở ở đâu?»",
    "thanks": "Rất vui được giúp bạn! Nếu còn câu hỏi về Sở Khoa học và Công nghệ thành phố Cần Thơ, "
              "bạn cứ nhắn nhé.",
    "identity": f"Tôi là {BOT_NAME}, một chương trình tự động. {CAPABILITIES}",
    "capabilities": CAPABILITIES + " Ví dụ: «Số điện thoại của Sở?», «Hội thi Sáng tạo kỹ thuật tổ chức "
                                   "mấy năm một lần?»",
    "goodbye": "Tạm biệt bạn! Khi cần thông tin về Sở Khoa học và Công nghệ thành phố Cần Thơ, "
               "bạn cứ nhắn lại nhé.",
    "ack": "Vâng. Bạn cần hỏi thêm gì về Sở Khoa học và Công nghệ thành phố Cần Thơ thì cứ nhắn nhé.",
    "call": "Dạ, tôi đây. Bạn cần hỏi gì về Sở Khoa học và Công nghệ thành phố Cần Thơ?",
}

START = (f"Xin chào! Tôi là {BOT_NAME}.\n{CAPABILITIES}\n\n"
         "Hãy gõ câu hỏi (có dấu hoặc không dấu đều được), hoặc chọn một câu hỏi mẫu bên dưới.")
PRIVACY_NOTICE = ("Câu hỏi của bạn được lưu lại, không kèm danh tính, để cải thiện câu trả lời; "
                  "xem thêm: {url}")
HELP = (f"{CAPABILITIES}\n\nCách dùng:\n"
        "• Gõ câu hỏi ngắn, ví dụ: «sđt sở khcn», «địa chỉ sở ở đâu», «hội thi sáng tạo kỹ thuật giải nhất bao nhiêu».\n"
        "• /lienhe — địa chỉ, điện thoại, fax, email của Sở.\n"
        "• Gõ «gặp cán bộ» để để lại câu hỏi cho cán bộ Sở trả lời.\n"
        "• /help — xem hướng dẫn này.")
NOT_FOUND = "Xin lỗi, tôi chưa có thông tin để trả lời câu hỏi này."
CONTACT_INVITE = "Bạn có thể liên hệ trực tiếp Sở Khoa học và Công nghệ thành phố Cần Thơ:"
SUGGESTIONS_INTRO = "Có phải bạn muốn hỏi…"
EMPTY = "Bạn chưa nhập câu hỏi. Hãy gõ câu hỏi về Sở Khoa học và Công nghệ thành phố Cần Thơ, ví dụ: «Địa chỉ Sở ở đâu?»"
TOO_LONG = ("Câu hỏi dài quá ({length} ký tự). Bạn vui lòng hỏi ngắn gọn trong khoảng {limit} ký tự, "
            "mỗi lần một câu hỏi.")
NOT_TEXT = ("Xin lỗi, tôi chỉ đọc được tin nhắn văn bản. Bạn vui lòng gõ câu hỏi bằng chữ, "
            "ví dụ: «Số điện thoại của Sở?»")
EDITED = "Tôi chỉ trả lời tin nhắn mới; bạn vui lòng gửi lại câu hỏi đã sửa thành một tin nhắn mới."
SLOW_DOWN = "Bạn gửi nhanh quá. Vui lòng đợi khoảng {seconds} giây rồi hỏi tiếp nhé."
ERROR = ("Xin lỗi, hệ thống đang gặp sự cố khi trả lời câu hỏi này. Bạn vui lòng thử lại sau ít phút, "
         "hoặc liên hệ trực tiếp Sở.")
PUBLISHED = "Bài «{title}» được đăng ngày {date}."  # the answer to "bài … đăng ngày nào"
ORIGIN = "Bài «{title}» lấy theo {origin}."  # the answer to "bài … lấy theo báo nào": the page's byline
SOURCE = "Nguồn: {title} ({date})"
SOURCE_LINK = "Nguồn: {title} — {url} ({date})"  # the article's web address after its title
SOURCE_PLAIN = "Nguồn: {title}"  # a source without a date: the settings
UNDATED = "không rõ ngày đăng"
INFERRED_DATE = "ngày đăng suy ra từ nội dung: {date}"  # no stamp: the date was read from the text

# Working hours, from the settings ([office]); {days}: "từ thứ Hai đến thứ Sáu", {periods}: "7:00–11:30 và …"
HOURS_SOURCE = "Lịch làm việc của Sở"
HOURS_SCHEDULE = ("Theo lịch làm việc của Sở, Sở Khoa học và Công nghệ thành phố Cần Thơ làm việc {days}, "
                  "{periods} (trừ các ngày nghỉ lễ, Tết).")
HOURS_DAY_ON = "{day} Sở có làm việc."
HOURS_DAY_OFF = "{day} Sở không làm việc."
HOURS_HOLIDAYS = "Các ngày nghỉ lễ, Tết Sở không làm việc."
HOURS_BREAK = "Buổi trưa Sở nghỉ từ {start} đến {end}."
HOURS_NO_BREAK = "Sở làm việc liên tục, không nghỉ trưa."
HOURS_OPEN_NOW = "Bây giờ ({now}) Sở đang trong giờ làm việc."
HOURS_CLOSED_NOW = "Bây giờ ({now}) Sở đang ngoài giờ làm việc; Sở làm việc trở lại lúc {opens}."
CONTACT_LABELS = {"address": "Địa chỉ", "phone": "Điện thoại", "fax": "Fax",
                  "hotline": "Đường dây nóng", "email": "Email"}
# a contact detail asked for that the unit has none of ("fax?"): said first, then what is known
CONTACT_NOT_KNOWN = "Chưa có thông tin {what} của {unit}. Thông tin liên hệ hiện có:"
FEEDBACK_THANKS = {1: "Cảm ơn bạn đã đánh giá! 👍",
                   -1: "Cảm ơn bạn đã góp ý. Cán bộ Sở sẽ xem lại câu trả lời này để bổ sung thông tin."}
FEEDBACK_REASON_ASK = "Câu trả lời chưa ổn ở điểm nào?"  # after 👎: the reasons follow, one tap (or digit) each
FEEDBACK_REASON_THANKS = "Cảm ơn bạn đã cho biết lý do. Cán bộ Sở sẽ xem lại câu trả lời này."  # after 👎 + reason
FEEDBACK_EXPIRED = "Không ghi nhận được đánh giá (câu hỏi đã quá cũ hoặc không phải của bạn)."
FEEDBACK_DIGITS = "Câu trả lời có hữu ích không? Gửi 1 nếu có, 2 nếu chưa."

# Hand-over to staff ("chuyển cho cán bộ"); {when} is one of the STAFF_* sentences.
HANDOVER_BUTTON = "Để lại câu hỏi cho cán bộ"  # the button under a refusal; read as a hand-over request
HANDOVER_ASK = ("Vâng, tôi sẽ chuyển câu hỏi của bạn cho cán bộ Sở: bạn vui lòng gõ câu hỏi trong một tin nhắn "
                "(kèm số điện thoại nếu muốn cán bộ gọi lại). {when}")
HANDOVER_ASK_AGAIN = ("Bạn vui lòng gõ câu hỏi cần chuyển cho cán bộ Sở trong một tin nhắn (hoặc gõ «thôi» nếu không "
                      "cần nữa).")
HANDOVER_CONFIRM = ("Tôi đã chuyển câu hỏi «{question}» cho cán bộ Sở; câu trả lời sẽ được gửi đến bạn "
                    "ngay trong cuộc trò chuyện này. {when}")
HANDOVER_CANCELLED = "Vâng, tôi không chuyển câu hỏi nào cho cán bộ. Bạn cứ hỏi tiếp nhé."
HANDOVER_TOO_MANY = ("Bạn đã có {count} câu hỏi đang chờ cán bộ Sở trả lời; cán bộ sẽ trả lời lần lượt "
                     "trong cuộc trò chuyện này. {when}")
HANDOVER_UNREACHABLE = ("Ở đây tôi không nhận lại được câu trả lời của cán bộ để chuyển cho bạn. "
                        "Bạn vui lòng liên hệ trực tiếp Sở Khoa học và Công nghệ thành phố Cần Thơ:")
STAFF_AT_WORK = "Bây giờ là giờ làm việc, cán bộ sẽ xem sớm."
STAFF_LATER_TODAY = "Cán bộ sẽ xem vào {time} hôm nay."
STAFF_LATER = "Cán bộ sẽ xem vào {time} {weekday}, {date}."
STAFF_ANSWER = "Cán bộ Sở Khoa học và Công nghệ thành phố Cần Thơ trả lời câu hỏi «{question}» của bạn:\n\n{answer}"
