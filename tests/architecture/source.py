"""The project's own source, for tests that read the code: every app module outside tests and migrations."""

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("config", "accounts", "marketplace", "payments", "milestones", "orders")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def project_files(suffix: str = ".py") -> tuple[Path, ...]:
    files = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob(f"*{suffix}")):
            if "migrations" in path.parts or "__pycache__" in path.parts:
                continue
            files.append(path)
    return tuple(files)


@cache
def project_modules() -> dict[str, Path]:
    """Dotted name -> file, for every project module (packages by their ``__init__``)."""
    return {module_name(path): path for path in project_files()}


@cache
def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def template_files() -> list[Path]:
    return sorted(p for p in (ROOT / "templates").rglob("*.html")) + [
        p for app in APPS for p in sorted((ROOT / app).glob("templates/**/*.html"))
    ]
