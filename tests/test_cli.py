"""The command line, run as a citizen or staff member would run it: a real process."""
import json
import subprocess
import sys

import pytest

from support import ROOT, SAMPLES, write


def run(*args: str, stdin: str = "", env_extra: dict | None = None, cwd=ROOT) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, str(ROOT / "run_bot.py"), *args], input=stdin, capture_output=True,
                          text=True, encoding="utf-8", env=env, cwd=cwd, timeout=60)


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("cli") / "kb.sqlite"
    result = run("kb", "import", "--db", str(db), str(SAMPLES))
    assert result.returncode == 0, result.stderr
    return db


def test_ask_json_contract_one_line_per_question_in_order(sample_db):
    questions = ["sdt so khcn", "giá vàng hôm nay", "xin chào", "Mạng E.Mekong là gì?"]
    result = run("ask", "--db", str(sample_db), "--json", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    replies = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in replies] == questions
    assert [r["kind"] for r in replies] == ["contact", "fallback", "smalltalk", "article"]
    for reply in replies:
        assert set(reply) == {"question", "answered", "kind", "text", "score", "source", "suggestions"}
        assert isinstance(reply["answered"], bool) and isinstance(reply["score"], float)
        assert isinstance(reply["text"], str) and isinstance(reply["suggestions"], list)
    assert replies[3]["source"]["title"] and replies[3]["source"]["date"] == "2020-07-03"
    assert replies[1]["source"] is None and replies[1]["answered"] is False


def test_ask_writes_no_query_log(sample_db):
    import sqlite3

    assert run("ask", "--db", str(sample_db), "địa chỉ sở").returncode == 0
    with sqlite3.connect(sample_db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM query_log").fetchone()[0] == 0


def test_ask_one_question_from_arguments(sample_db):
    result = run("ask", "--db", str(sample_db), "sdt", "so", "khcn")
    assert "0292.3820674" in result.stdout


def test_new_db_file_starts_empty(tmp_path):
    db = tmp_path / "new.sqlite"
    result = run("ask", "--db", str(db), "--json", "địa chỉ sở ở đâu")
    assert json.loads(result.stdout)["answered"] is False
    assert "articles" in run("kb", "stats", "--db", str(db)).stdout


def test_import_reports_each_file_and_fails_after_importing_the_good_ones(tmp_path):
    db = tmp_path / "kb.sqlite"
    good = write(tmp_path, "good.md", "# Tiêu đề bài viết\n\nNội dung bài viết đủ dài để nhập vào cơ sở.\n")
    bad = write(tmp_path, "bad.txt", b"\x00\x00binary")
    result = run("kb", "import", "--db", str(db), str(good), str(bad), str(tmp_path / "missing.txt"))
    assert result.returncode == 1
    assert "thêm mới" in result.stdout and "good.md" in result.stdout
    assert "bad.txt" in result.stdout and "missing.txt" in result.stdout
    again = run("kb", "import", "--db", str(db), str(good))
    assert again.returncode == 0 and "không đổi" in again.stdout


def test_broken_settings_give_one_line_and_exit_2(tmp_path):
    settings = write(tmp_path, "settings.toml", "[web\nport = ")
    result = run("--settings", str(settings), "ask", "xin chào")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "not valid TOML" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_setting_value_gives_one_line_and_exit_2(tmp_path):
    result = run("ask", "xin chào", env_extra={"WEB_PORT": "eighty"})
    assert result.returncode == 2 and "WEB_PORT" in result.stderr and "Traceback" not in result.stderr


def test_unreadable_database_gives_one_line_and_exit_2(tmp_path):
    db = write(tmp_path, "corrupt.sqlite", b"this is not a database file at all" * 100)
    result = run("ask", "--db", str(db), "xin chào")
    assert result.returncode == 2 and "Traceback" not in result.stderr and result.stderr.startswith("error:")


def test_default_database_is_created_from_the_samples(tmp_path):
    result = run("ask", "--json", "sdt so khcn", env_extra={"KB_DB_PATH": str(tmp_path / "default.sqlite")})
    assert json.loads(result.stdout)["answered"] is True
    assert "bài mẫu" in result.stderr


def test_every_command_is_documented_in_the_readme():
    from bot.cli import build_parser

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    missing = []
    for name, sub in _commands(parser):
        if f"`run_bot.py {name}" not in readme and f"`{name}" not in readme:
            missing.append(name)
    assert not missing, f"commands missing from README.md: {missing}"


def _commands(parser, prefix=""):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                full = f"{prefix}{name}"
                children = list(_commands(sub, full + " "))
                yield from children or [(full, sub)]


def test_a_database_folder_that_cannot_be_created_gives_one_line_and_exit_2(tmp_path):
    blocker = write(tmp_path, "not-a-folder", "a file where the folder should be")
    result = run("kb", "stats", "--db", str(blocker / "kb.sqlite"))
    assert result.returncode == 2 and result.stderr.startswith("error:") and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
