"""No module uses another module's ``_private`` name (CONVENTIONS: if two modules need it, it is public and named).

An AST walk over every project module outside tests and migrations (the apps, ``config``,
``benchmarks``): ``from x import _name`` and ``import x._name`` where ``x`` is a project
module (relative imports resolved), and ``module._name`` where ``module`` is a project
module bound by an import in that file. Dunder names (``__all__``, ``__version__``) are public.
"""

import ast
from pathlib import Path

from .source import ROOT, module_name, parsed, project_files, project_modules

EXTRA = ("benchmarks",)


def _files() -> list[Path]:
    extra = [p for folder in EXTRA for p in sorted((ROOT / folder).rglob("*.py")) if "__pycache__" not in p.parts]
    return [*project_files(), *extra]


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _known(module: str) -> bool:
    return module in project_modules() or (ROOT / module.replace(".", "/")).with_suffix(".py").exists()


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".")
    if not is_package:
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _dotted(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def crossings(path: Path, module: str | None = None) -> list[str]:
    """What ``path`` (the project module ``module``, by default its own name) takes from other modules' privates."""
    found, modules = [], {}  # modules: a name bound in this file -> the project module it is
    tree = parsed(path)
    module = module or module_name(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not _known(alias.name.split(".")[0]):
                    continue
                if any(_private(part) for part in alias.name.split(".")):
                    found.append(f"{node.lineno}: import {alias.name}")
                if alias.asname:
                    modules[alias.asname] = alias.name
                else:
                    modules[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, path.name == "__init__.py", node)
            if not source or not _known(source.split(".")[0]):
                continue
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"{node.lineno}: from {source} import {alias.name}")
                elif _known(f"{source}.{alias.name}"):
                    modules[alias.asname or alias.name] = f"{source}.{alias.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            dotted = _dotted(node.value)
            if dotted is None:
                continue
            head, _, rest = dotted.partition(".")
            if head in modules:
                owner = modules[head] + (f".{rest}" if rest else "")
                if _known(owner):
                    found.append(f"{node.lineno}: {owner}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_name():
    found = [f"{path.relative_to(ROOT)}:{line}" for path in _files() for line in crossings(path)]
    assert not found, "private names used from another module (make them public and name them):\n" + "\n".join(found)


def test_the_walk_sees_each_kind_of_crossing(tmp_path):
    """The check itself: each form it looks for is found, and what is allowed is not."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from milestones.services import _url, lock_milestone\n"
        "from .models import _x\n"
        "from milestones import services\n"
        "import payments.services as pay\n"
        "import config.money\n"
        "services._party(1)\n"
        "pay._cents(1)\n"
        "config.money._read('1')\n"
        "services.lock_milestone(1)\n"
        "self_like = object()\n"
        "self_like._anything\n"
        "from config import __name__ as n\n"
    )
    assert crossings(sample, module="orders.sample") == [
        "1: from milestones.services import _url",
        "2: from orders.models import _x",
        "6: milestones.services._party",
        "7: payments.services._cents",
        "8: config.money._read",
    ]
