"""The eval command and its checks: the shared scorer's semantics, bad question files, the report."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from bot.cli import main
from knowledge.evaluation import QuestionSetError, check, evaluate, group, load_questions, norm, percentile

SHARED_SCORER = Path(__file__).resolve().parents[2] / "shared" / "eval" / "score.py"

# (item, reply) pairs covering every check and every normalisation rule.
CASES = [
    ({"q": "?", "expect_any": ["0292.3820674"]}, {"answered": True, "kind": "contact", "text": "ĐT: 0292 3820674"}),
    ({"q": "?", "expect_any": ["3820674"]}, {"answered": True, "kind": "contact", "text": "ĐT: 0292.382.0674"}),
    ({"q": "?", "expect_any": ["LÝ THƯỜNG KIỆT"]}, {"answered": True, "kind": "article", "text": "số 02 Lý Thường Kiệt"}),
    ({"q": "?", "expect_any": ["Lý Thường Kiệt"]},  # NFD text against an NFC expectation
     {"answered": True, "kind": "article", "text": "số 02 Ly\u0301 Thươ\u0300ng Kiê\u0323t"}),
    ({"q": "?", "expect_any": ["abc"]}, {"answered": False, "kind": "fallback", "text": "abc"}),
    ({"q": "?", "expect_all": ["a", "b"]}, {"answered": True, "kind": "article", "text": "a only"}),
    ({"q": "?", "expect_all": ["a", "b"]}, {"answered": True, "kind": "article", "text": "a and b"}),
    ({"q": "?", "answered": False}, {"answered": True, "kind": "article", "text": "giá xăng"}),
    ({"q": "?", "answered": False}, {"answered": False, "kind": "fallback", "text": "Xin lỗi"}),
    ({"q": "?", "kind": "smalltalk"}, {"answered": True, "kind": "article", "text": "Chào bạn"}),
    ({"q": "?", "kind": "smalltalk"}, {"answered": True, "kind": "smalltalk", "text": "Chào bạn"}),
    ({"q": "?", "reject_any": ["0710"]}, {"answered": True, "kind": "contact", "text": "0710.3820674"}),
    ({"q": "?", "expect_any": ["x"]}, {"answered": True, "kind": "article", "text": "x" * 901}),
    ({"q": "?", "expect_any": ["x"]}, {"answered": True, "kind": "article", "text": "x" * 900}),
    ({"q": "?", "expect_any": ["x"]}, {}),
]


def _write(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    return path


def test_norm_joins_digit_groups_and_folds_case():
    assert norm("Điện thoại 0292.3820 674") == "điện thoại 02923820674"
    assert norm("Ngày 1. Tháng") == "ngày 1. tháng"  # a dot not between two digits stays


def test_check_verdicts():
    verdicts = [check(item, reply) for item, reply in CASES]
    assert [v is None for v in verdicts] == [True, True, True, True, False, False, True, False, True, False,
                                             True, False, False, True, False]
    assert verdicts[4] == "did not answer"
    assert verdicts[7] == "should have abstained"
    assert verdicts[12] == "reply of 901 characters, over 900"


@pytest.mark.skipif(not SHARED_SCORER.exists(), reason="shared/eval/score.py is absent")
def test_check_agrees_with_the_shared_scorer():
    spec = importlib.util.spec_from_file_location("shared_score", SHARED_SCORER)
    score = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score)
    for item, reply in CASES:
        assert check(item, reply, 900) == score.check(item, reply, 900), item
        assert group(item) == score.group(item)


def test_percentile_nearest_rank():
    values = list(range(1, 101))
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile(values, 0.99)) == (50, 95, 99)
    assert percentile([], 0.5) == 0.0


@pytest.mark.parametrize("content, message", [
    ('{"q": "a", "expect_any": ["b"]}\nnot json\n', "dòng 2: không phải JSON hợp lệ"),
    ('{"expect_any": ["b"]}\n', 'dòng 1: thiếu câu hỏi "q"'),
    ('{"q": "chỉ có câu hỏi"}\n', "dòng 1: không có phép kiểm tra nào"),
    ("\n\n", "không có câu hỏi nào"),
])
def test_bad_question_files_are_reported(tmp_path, content, message):
    path = tmp_path / "set.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(QuestionSetError, match=message):
        load_questions(path)


def test_missing_file_exits_2_with_a_vietnamese_message(tmp_path, capsys):
    assert main(["eval", str(tmp_path / "nope.jsonl"), "--db", str(tmp_path / "kb.sqlite")]) == 2
    assert "không tìm thấy tệp câu hỏi" in capsys.readouterr().err


def test_evaluate_times_every_question():
    items = [{"q": "a", "expect_any": ["a"]}, {"q": "b\nc", "answered": False}]
    asked = []
    report = evaluate(items, lambda q: asked.append(q) or {"answered": True, "kind": "article", "text": q})
    assert asked == ["a", "b c"]
    assert report.totals() == {"answer": (1, 1), "abstain": (0, 1), "smalltalk": (0, 0)}
    assert all(o.seconds >= 0 for o in report.outcomes)
    assert report.below({"answer": 1.0, "abstain": 0.5}) == ["abstain"]


QUESTIONS = [
    {"q": "Số điện thoại của Sở KH&CN là gì?", "expect_any": ["3820674"]},
    {"q": "so dien thoai so khoa hoc cong nghe can tho", "expect_any": ["0292 3820674"]},
    {"q": "Giá xăng hôm nay bao nhiêu?", "answered": False},
    {"q": "Xin chào", "kind": "smalltalk"},
    {"q": "Email của sở là gì?", "expect_any": ["chuỗi-không-bao-giờ-có"]},
]


def test_eval_command_prints_groups_failures_and_timing(sample_kb, tmp_path, capsys):
    path = _write(tmp_path / "set.jsonl", QUESTIONS)
    assert main(["eval", str(path), "--db", sample_kb.path]) == 0
    out = capsys.readouterr().out
    assert "trả lời (answer)" in out and "2/3" in out.split("trả lời (answer)")[1].splitlines()[0]
    assert "1/1" in out.split("từ chối đúng (abstain)")[1].splitlines()[0]
    assert "1/1" in out.split("trò chuyện (smalltalk)")[1].splitlines()[0]
    assert "SAI [answer] 'Email của sở là gì?': missing any of chuỗi-không-bao-giờ-có" in out
    assert "sokhcn@cantho.gov.vn" in out.split("SAI [answer]")[1]  # the reply actually given
    assert "Thời gian mỗi câu: trung bình" in out and "p95" in out


def test_eval_command_exits_1_under_a_minimum(sample_kb, tmp_path, capsys):
    path = _write(tmp_path / "set.jsonl", QUESTIONS)
    assert main(["eval", str(path), "--db", sample_kb.path, "--min-answer", "0.8", "--min-abstain", "1"]) == 1
    assert "tối thiểu 80%: KHÔNG ĐẠT" in capsys.readouterr().out
    assert main(["eval", str(path), "--db", sample_kb.path, "--min-answer", "0.6", "--min-smalltalk", "1"]) == 0


def test_eval_command_json(sample_kb, tmp_path, capsys):
    path = _write(tmp_path / "set.jsonl", QUESTIONS)
    assert main(["eval", str(path), "--db", sample_kb.path, "--json", "--min-answer", "0.9"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["questions"] == 5 and result["passed"] is False
    assert result["groups"]["answer"] == {"passed": 2, "total": 3, "share": 0.6667}
    assert result["groups"]["smalltalk"]["passed"] == 1
    [failure] = result["failures"]
    assert failure["q"] == "Email của sở là gì?" and failure["answered"] is True
    assert "sokhcn@cantho.gov.vn" in failure["text"]
    assert set(result["time_ms"]) == {"mean", "p50", "p95", "max"} and result["time_ms"]["max"] > 0


def test_bench_synthetic_pages_are_deterministic_department_pages(empty_kb, tmp_path):
    from bench.synthetic import generate, questions, write
    from knowledge.ingest.importer import import_paths
    from knowledge.ingest.parsing import parse_document

    samples = Path(__file__).resolve().parents[1] / "data" / "sample"
    pages = generate(12, samples)
    assert [p.text for p in generate(5, samples)] == [p.text for p in pages[:5]]  # a prefix of a larger run
    page = pages[0]
    parsed = parse_document(page.name, page.text.encode())
    assert parsed.title == f"{page.facts.subject} năm {page.facts.year}"
    assert parsed.published.year == page.facts.year
    assert any(page.facts.chair in p and page.facts.date in p for p in parsed.paragraphs)
    write(pages, tmp_path / "synthetic")
    assert all(r.status == "added" for r in import_paths(empty_kb, [tmp_path / "synthetic"]))
    items = questions(pages, 9)
    assert {i["category"] for i in items} == {"contact", "out of scope", "fact", "no diacritics", "typo"}
    assert len(load_questions(_write(tmp_path / "mixed.jsonl", items))) == len(items)


def test_bench_count_question_accepts_the_figure_of_every_page_its_words_fit():
    from bench.synthetic import Facts, Page, questions

    def page(i: int, event: str, count: int) -> Page:
        subject = f"{event} năng lượng tái tạo tại huyện Cờ Đỏ"
        return Page(f"p{i}.txt", "", Facts(subject, 2015, "1/2/2015", "Lê Văn An", count, "đại biểu"))

    pages = [page(0, "Hội thảo khoa học về", 230), page(1, "Nghiệm thu đề tài", 308),
             page(2, "Tập huấn nâng cao năng lực về", 41)]
    [counted] = [i for i in questions(pages, 3) if "bao nhiêu đại biểu" in i["q"]]
    assert sorted(counted["expect_any"]) == ["230 đại biểu", "308 đại biểu", "41 đại biểu"]
