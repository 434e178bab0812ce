"""The same question is answered the same way by every process: nothing on the answer path may follow
the order of a Python set of strings, which changes from one start of the bot to the next (hash seeds).
Two workers, or the bot before and after a restart, would otherwise answer one question differently."""
import json
import os
import subprocess
import sys

from knowledge.ingest.importer import import_paths
from knowledge.store import KnowledgeBase
from support import ROOT

# Words that each occur in one passage only: their document counts tie, so only a rule, never the
# order of a set, may decide which the full-text search asks for first.
ARTICLE = """Tiêu đề: Mô hình nông nghiệp
Ngày: 01/02/2024

Nông dân nuôi tôm, trồng lúa, thả cá, trồng xoài, trồng dừa và trồng mía trên cùng một mảnh đất.
"""
QUESTION = "tôm lúa cá xoài dừa mía"

CHILD = """
import json, sys
from knowledge.store import KnowledgeBase
from knowledge.combined import CombinedEngine
kb = KnowledgeBase.open(sys.argv[1])
searched = []
search = kb.search_passages
kb.search_passages = lambda query, limit, fuller=None: searched.append(query) or search(query, limit, fuller)
match = CombinedEngine(kb).match(sys.argv[2])
print(json.dumps([searched, match.answered, round(match.score, 6), match.text]))
"""


def test_every_process_searches_and_answers_alike(tmp_path):
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "mo-hinh.txt").write_text(ARTICLE, encoding="utf-8")
    kb = KnowledgeBase.open(tmp_path / "kb.sqlite")
    import_paths(kb, [tmp_path / "pages"])
    kb.close()
    runs = set()
    for seed in ("1", "2", "3", "4", "5", "6"):
        done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "kb.sqlite"), QUESTION],
                              capture_output=True, text=True, cwd=ROOT, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed})
        runs.add(done.stdout)
    assert len(runs) == 1, runs
    searched = json.loads(runs.pop())[0]
    assert searched  # the question did reach the full-text search
