"""The layering rules: bot/ → handlers/ → knowledge/, never back; no circle of imports; a chat channel
never imports another channel, only the helpers they share; every module says what it owns."""
import ast

import pytest

from support import ROOT

PACKAGES = ("bot", "handlers", "knowledge")
FORBIDDEN = {"knowledge": ("handlers", "bot"), "handlers": ("bot",)}
CHANNELS = {"bot.channels.telegram", "bot.channels.zalo_oa", "bot.channels.zalo_bot", "bot.channels.console"}


def modules(package: str):
    return sorted((ROOT / package).rglob("*.py"))


def module_name(path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, object]:
    return {module_name(path): path for package in PACKAGES for path in modules(package)}


def imported(path, known: dict[str, object]) -> set[str]:
    """The project modules one file imports, anywhere in it (a lazy import inside a function counts; one
    for type checkers only, under ``if TYPE_CHECKING:``, does not run)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(child) for node in ast.walk(tree)
                   if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
                   for statement in node.body for child in ast.walk(statement)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            candidates = [f"{source}.{a.name}" for a in node.names]
            found.update(c for c in candidates if c in known)
            if not any(c in known for c in candidates):
                found.add(source)
    return {m for m in found if m in known and m != name}


def import_graph() -> dict[str, set[str]]:
    known = all_modules()
    return {name: imported(path, known) for name, path in known.items()}


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


def test_no_module_imports_another_in_a_circle():
    graph = import_graph()
    circles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for other in sorted(graph[name]):
            if state.get(other) == 1:
                circles.append(" → ".join(path[path.index(other):] + [other]))
            elif other not in state:
                visit(other, path + [other])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not circles


def test_a_channel_imports_no_other_channel():
    graph = import_graph()
    assert CHANNELS <= set(graph)
    offenders = [f"{name} → {other}" for name in CHANNELS for other in graph[name] if other in CHANNELS]
    assert not offenders


@pytest.mark.parametrize("package", ["bot", "handlers", "knowledge"])
def test_every_module_has_a_docstring(package):
    missing = [str(p.relative_to(ROOT)) for p in modules(package)
               if p.name != "__init__.py" and not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))]
    assert not missing


def test_every_package_says_what_it_owns():
    missing = [str(p.relative_to(ROOT)) for package in PACKAGES for p in modules(package)
               if p.name == "__init__.py" and not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))]
    assert not missing
