"""Hostile and odd input through the conversation: whatever arrives, a short Vietnamese reply
comes back, nothing escapes, and the query log stays consistent."""
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.conversation import Conversation, ConversationConfig
from handlers.messages import IncomingMessage

TELEGRAM_LIMIT = 4096
FTS_AND_SQL = ['"', "*", "NEAR(", "OR", "AND", "NOT", "-", "^", ":", "(", ")", "'; DROP TABLE passages; --",
               "<script>alert(1)</script>", "**bold**", "[x](javascript:alert(1))", "\x00", "\u202e", "\u200b"]
VIETNAMESE = "địa chỉ sở khcn sđt hội nghị lần XIII giá vàng hôm nay Đổi mới sáng tạo"

words = st.one_of(
    st.sampled_from(FTS_AND_SQL),
    st.sampled_from(VIETNAMESE.split()),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.text(alphabet=string.printable, max_size=30),
)
messages = st.one_of(
    st.lists(words, max_size=40).map(" ".join),
    st.text(max_size=2000),
    st.sampled_from(["", " ", "\n\t", "a" * 100_000, "🙂" * 3000, "ا" * 50 + " sdt so", "\u0301" * 100]),
)


@given(text=messages)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_gets_one_short_reply_and_at_most_one_log_row(sample_kb, text):
    conversation = Conversation(sample_kb, ConversationConfig(rate_limit_messages=10**9))
    before = sample_kb.stats()["query_log"]
    replies = conversation.respond(IncomingMessage("web", "c", "u", text))
    assert len(replies) == 1
    reply = replies[0]
    assert reply.text and len(reply.text) <= TELEGRAM_LIMIT
    after = sample_kb.stats()["query_log"]
    logged = after - before
    assert logged == (1 if reply.log_id else 0)
    if reply.kind in ("article", "contact", "faq", "smalltalk", "fallback", "hours"):
        assert logged == 1


@given(content_type=st.sampled_from(["sticker", "photo", "voice", "video", "location", "document", "other",
                                      "edited", "command", "suggestion"]),
       text=st.one_of(st.none(), st.text(max_size=200)))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_content_type_is_handled(sample_kb, content_type, text):
    replies = Conversation(sample_kb).respond(IncomingMessage("zalo", "c", "u", text, content_type))
    assert len(replies) == 1 and replies[0].text


def test_ten_thousand_generated_messages(sample_kb):
    """A bulk run, seeded: every message gets exactly one reply within Telegram's and Zalo's length
    limits, and the query log gains exactly one row per answered-or-not question."""
    import random

    rng = random.Random(2026)
    pieces = FTS_AND_SQL + VIETNAMESE.split() + ["🙂", "\u0301", "ا", "中文", "\t", "\n", " ", "0292.3820674"]
    conversation = Conversation(sample_kb, ConversationConfig(rate_limit_messages=10**9))
    logged_kinds = ("article", "contact", "faq", "smalltalk", "fallback", "hours")
    expected_rows = 0
    for _ in range(10_000):
        text = "".join(rng.choice(pieces) + rng.choice(["", " "]) for _ in range(rng.randint(0, 12)))
        [reply] = conversation.respond(IncomingMessage("web", "c", str(rng.randint(1, 50)), text))
        assert reply.text and len(reply.text) <= 2000
        expected_rows += reply.kind in logged_kinds
    assert sample_kb.stats()["query_log"] == expected_rows
