"""Template tags are for templates: no other module imports one (money: ``config.money.format_cents``)."""

import ast

from .source import ROOT, module_name, parsed, project_files


def _imported(path):
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                package = module_name(path).split(".")[: -node.level or None]
                base = ".".join([*package, base] if base else package)
            yield node.lineno, base
            yield from ((node.lineno, f"{base}.{alias.name}") for alias in node.names)


def test_no_module_outside_the_template_tags_imports_one():
    found = sorted(
        {
            f"{path.relative_to(ROOT)}:{line}: {name}"
            for path in project_files()
            if "templatetags" not in path.parts
            for line, name in _imported(path)
            if ".templatetags" in f".{name}"
        }
    )
    assert not found, "import config.money (or the module the tag wraps) instead:\n" + "\n".join(found)
