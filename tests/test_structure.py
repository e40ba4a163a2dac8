"""Every SQL statement lives in a repository (STYLE.md rule 3): a module of the package that is not a
`repository.py` builds no statement (SQLAlchemy's select/update/insert/delete/text), runs none (`.execute(`),
and takes no row lock (`session.get(..., with_for_update=...)`). Reads the source with `ast`; imports nothing.

Outside the package, `migrations/` (Alembic steps are DDL) and `bench/` (load scripts) are not walked."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "lightspeedpay"
STATEMENTS = {"select", "update", "insert", "delete", "text"}

# module (relative to the package) -> why it may issue SQL
EXCEPTIONS: dict[str, str] = {
    "db_admin.py": "creates the databases and runs the migrations: administration, not domain queries",
}
# the models declare DDL: `text(...)` there is a server default or a partial index's predicate, not a statement
DDL_ONLY = {"models": {"text"}}


def _sql_calls(source: str) -> list[tuple[int, str]]:
    """(line, what) for every SQL statement built or run, or row lock taken, in a module's source."""
    tree = ast.parse(source)
    imported: dict[
        str, str
    ] = {}  # local name -> sqlalchemy's name, for `from sqlalchemy... import select as s`
    modules = {"sqlalchemy", "sa"}  # `import sqlalchemy as sa` and friends
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sqlalchemy":
            for alias in node.names:
                if alias.name in STATEMENTS:
                    imported[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy":
                    modules.add(alias.asname or alias.name.split(".")[0])
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in imported:
            found.append((node.lineno, imported[func.id]))
        elif isinstance(func, ast.Attribute):
            if func.attr in ("execute", "exec_driver_sql"):
                found.append((node.lineno, f".{func.attr}("))
            elif func.attr in STATEMENTS and isinstance(func.value, ast.Name) and func.value.id in modules:
                found.append((node.lineno, func.attr))
            elif func.attr == "get" and any(k.arg == "with_for_update" for k in node.keywords):
                found.append((node.lineno, "get(with_for_update=…)"))
    return sorted(found)


def _offences(rel: str, source: str) -> list[tuple[int, str]]:
    allowed = DDL_ONLY.get(rel.split("/")[0], set())
    return [(line, what) for line, what in _sql_calls(source) if what not in allowed]


def _modules() -> list[tuple[str, Path]]:
    return sorted((p.relative_to(PACKAGE).as_posix(), p) for p in PACKAGE.rglob("*.py"))


def test_only_repositories_issue_sql() -> None:
    offenders = []
    for rel, path in _modules():
        if path.name == "repository.py" or rel in EXCEPTIONS:
            continue
        for line, what in _offences(rel, path.read_text()):
            offenders.append(f"lightspeedpay/{rel}:{line}: {what}")
    assert not offenders, "SQL outside a repository; move it into the domain's repository.py:\n" + "\n".join(
        offenders
    )


def test_every_exception_is_still_needed() -> None:
    """An exception whose module no longer issues SQL (moved, or the file is gone) is removed from the list."""
    modules = dict(_modules())
    stale = [rel for rel in EXCEPTIONS if rel not in modules or not _offences(rel, modules[rel].read_text())]
    assert not stale, f"these modules issue no SQL any more; drop them from EXCEPTIONS: {stale}"


def test_the_check_sees_each_kind_of_sql() -> None:
    source = """
import sqlalchemy as sa
from sqlalchemy import select as pick, text
from sqlalchemy.dialects.postgresql import insert

async def f(session, conn, model):
    pick(model)
    text("SELECT 1")
    insert(model)
    sa.update(model)
    await session.execute(q)
    await conn.exec_driver_sql("SELECT 1")
    await session.get(model, 1, with_for_update=True)
    await session.get(model, 1)
    select_thing(model)
"""
    assert [what for _, what in _sql_calls(source)] == [
        "select",
        "text",
        "insert",
        "update",
        ".execute(",
        ".exec_driver_sql(",
        "get(with_for_update=…)",
    ]
    assert _offences("models/x.py", 'from sqlalchemy import text\ntext("now()")') == []
    assert _offences("webhooks/x.py", 'from sqlalchemy import text\ntext("now()")') == [(2, "text")]
