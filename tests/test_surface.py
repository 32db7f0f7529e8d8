"""Each room is used through its surface: a walk over every module's imports (ast).

- A room's private modules (`storage._labels`, `storage.team._rules`) are open to the room
  itself and to the rooms inside it (a storage sub-room builds on the core's connection,
  errors and label writes), never to a sibling, to the room around it, or to another room.
- A private name (`_PAIR_TEXT`) is imported only within its own room.
- A name that lives in a storage sub-room is called by its room (`storage.team.create_task`),
  never as `storage.create_task`: the core's surface no longer carries the sub-rooms' names.

The tests and the benches look inside rooms on purpose (a private parser's cases, the
write phase of an import timed alone), so only the third rule applies to them. `views/` is a
folder of pages that `app.py` runs, not a package: the two are one room, the UI.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import storage

ROOT = Path(__file__).resolve().parent.parent
SUBROOMS = ("importers", "pairwise", "rankings", "team", "training")
LOOK_INSIDE = ("tests", "bench")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _room(module: str, is_package: bool) -> str:
    """The room a module belongs to: its package (app.py belongs to the UI, `views`)."""
    if module == "app":
        return "views"
    return module if is_package else module.rpartition(".")[0]


def _private_owner(target: str) -> str | None:
    """The room whose private module `target` is (the part before the first `_name`), or
    None for a public module."""
    parts = target.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def _inside(room: str, owner: str) -> bool:
    return room == owner or room.startswith(owner + ".")


def _imports(tree: ast.AST, room: str) -> Iterator[tuple[int, str, str | None]]:
    """(line, absolute module, imported name or None) for every import in `tree`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = room.split(".") if room else []
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, *([node.module] if node.module else [])])
            for alias in node.names:
                yield node.lineno, base, alias.name


def _subroom_names() -> dict[str, str]:
    """Every name a storage sub-room exposes and the core does not: name -> room."""
    return {
        name: room
        for room in SUBROOMS
        for name in getattr(storage, room).__all__
        if name not in storage.__all__
    }


def crossings(path: Path, source: str) -> list[str]:
    """What `source` (the module at `path`) does against the rules above, one line each."""
    module = _module_name(path)
    room = _room(module, path.name == "__init__.py")
    strict = path.relative_to(ROOT).parts[0] not in LOOK_INSIDE
    in_subroom = _subroom_names()
    found = []
    tree = ast.parse(source)
    where = f"{path.relative_to(ROOT)}"
    for line, target, name in _imports(tree, room):
        full = f"{target}.{name}" if name else target
        owner = _private_owner(full if name and name.startswith("_") else target)
        private_module = _private_owner(target)
        if strict and private_module is not None and not _inside(room, private_module):
            found.append(f"{where}:{line}: imports {target}, private to {private_module}")
        elif strict and name and name.startswith("_") and owner is not None and owner != room:
            found.append(f"{where}:{line}: imports the private name {name} from {target}")
        if target == "storage" and name in in_subroom:
            found.append(
                f"{where}:{line}: imports storage.{name}: it is storage.{in_subroom[name]}"
            )
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "storage"
            and node.attr in in_subroom
        ):
            found.append(
                f"{where}:{node.lineno}: storage.{node.attr} is "
                f"storage.{in_subroom[node.attr]}.{node.attr}"
            )
    return found


def _modules() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if not any(part.startswith(".") for part in parts):
            yield path


def test_no_module_reaches_into_another_rooms_private_module():
    found = [line for path in _modules() for line in crossings(path, path.read_text())]
    assert found == []


def test_the_walk_sees_each_kind_of_crossing():
    """The rules are read as written: each crossing below is found, each allowed import is
    not."""
    core = ROOT / "storage" / "_labels.py"
    assert crossings(core, "from .team._rules import check_author\n") == [
        "storage/_labels.py:1: imports storage.team._rules, private to storage.team"
    ]
    assert crossings(core, "from .team import check_author\n") == []
    sibling = ROOT / "storage" / "rankings" / "_labels.py"
    assert crossings(sibling, "from ..team._rules import check_actor\n") == [
        "storage/rankings/_labels.py:1: imports storage.team._rules, private to storage.team"
    ]
    # A sub-room builds on the core's modules, but not on its private names.
    assert crossings(sibling, "from .._db import connect\n") == []
    assert crossings(sibling, "from .._pairs import _PAIR_TEXT\n") == [
        "storage/rankings/_labels.py:1: imports the private name _PAIR_TEXT from storage._pairs"
    ]
    page = ROOT / "views" / "team.py"
    assert crossings(page, "import storage\nstorage.create_task(db)\n") == [
        "views/team.py:2: storage.create_task is storage.team.create_task"
    ]
    assert crossings(page, "import storage\nstorage.team.create_task(db)\n") == []
    assert crossings(ROOT / "app.py", "from views import _common\n") == []
    assert crossings(ROOT / "jobs" / "_x.py", "from judge._llama import x\n") == [
        "jobs/_x.py:1: imports judge._llama, private to judge"
    ]
    assert crossings(ROOT / "tests" / "test_x.py", "from judge._llama import x\n") == []


def test_each_storage_surface_is_its_own():
    """The core carries no sub-room's name, and each sub-room is reached from `storage`."""
    for room in SUBROOMS:
        surface = getattr(storage, room).__all__
        assert room in storage.__all__
        assert sorted(set(surface) & set(storage.__all__)) == []
