"""The layering rule: bot/ → handlers/ → knowledge/, never back; every module says what it owns."""
import ast

import pytest

from support import ROOT

FORBIDDEN = {"knowledge": ("handlers", "bot"), "handlers": ("bot",)}


def modules(package: str):
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_run_one_way(package):
    offenders = []
    for path in modules(package):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            offenders += [f"{path.relative_to(ROOT)}: {name}" for name in names
                          if name.split(".")[0] in FORBIDDEN[package]]
    assert not offenders


@pytest.mark.parametrize("package", ["bot", "handlers", "knowledge"])
def test_every_module_has_a_docstring(package):
    missing = [str(p.relative_to(ROOT)) for p in modules(package)
               if p.name != "__init__.py" and not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))]
    assert not missing
