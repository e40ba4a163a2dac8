"""The error-code page, generated from the code: every AppError subclass in the package (its `code`, HTTP status
and docstring), the messages it is raised with (read from the source), and how the Razorpay-compatible `/v1`
words it. `python -m lightspeedpay.devdocs sync` writes it to docs/developers/errors.md; a test fails when that
file is stale."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import re
from collections import defaultdict
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from types import ModuleType
from typing import Any

import lightspeedpay
from lightspeedpay.devdocs.anchors import slugify
from lightspeedpay.errors import AppError, HttpError
from lightspeedpay.kit import parsing
from lightspeedpay.razorpay_compat import errors as razorpay_errors

MAX_MESSAGES = 5
# the statuses Starlette answers itself for a path or method no route serves (HttpError words them)
_ROUTING_STATUSES = (404, 405)


@dataclass
class Entry:
    code: str
    status: int
    classes: list[str] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    areas: set[str] = field(default_factory=set)
    v1: tuple[int, str, str] = (0, "", "")  # status, Razorpay code, reason


def _modules() -> list[ModuleType]:
    """Every module of the package, imported (a module's error classes exist only once it is)."""
    found = [lightspeedpay]
    for info in pkgutil.walk_packages(lightspeedpay.__path__, "lightspeedpay."):
        if info.name.rsplit(".", 1)[-1] == "__main__":
            continue  # running it is what importing it does
        found.append(importlib.import_module(info.name))
    return found


def _subclasses(cls: type[AppError]) -> list[type[AppError]]:
    out: list[type[AppError]] = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_subclasses(sub))
    return out


def _area(module: str) -> str:
    """`lightspeedpay.payments.errors` -> `payments`; the package's top-level modules are `core`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else "core"


def _text(node: ast.expr) -> str | None:
    """A message written in the source: a string, or an f-string with its values shown as {…}."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{…}"
            for v in node.values
        )
    return None


def _resolve(node: ast.expr, namespace: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, namespace)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


def _arguments(call: ast.Call, names: list[str]) -> dict[str, ast.expr]:
    """The call's arguments by the constructor's parameter names (positional first, then keywords)."""
    given = dict(zip(names, call.args, strict=False))
    given.update({k.arg: k.value for k in call.keywords if k.arg})
    return given


def _parameters(cls: type) -> list[str]:
    return list(inspect.signature(cls).parameters)


def carries_code(cls: type[AppError]) -> bool:
    """A class whose constructor takes the code (`InvalidIdentifier("INVALID_PAN", message, field=…)`): its
    codes are the ones its callers write."""
    return _parameters(cls)[:1] == ["code"]


@dataclass(frozen=True)
class Site:
    """A place the source makes an error: the class, the module, and the code and message written there."""

    cls: type[AppError]
    module: str
    code: str | None
    message: str | None


def _super_init(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "__init__"
        and isinstance(node.func.value, ast.Call)
        and isinstance(node.func.value.func, ast.Name)
        and node.func.value.func.id == "super"
    )


def _sites(modules: list[ModuleType], classes: set[type[AppError]]) -> list[Site]:
    """Every call of an error class in the package, and every message a class's own __init__ passes to
    super().__init__ (its fixed wording); in source order."""
    by_name: dict[str, list[type[AppError]]] = defaultdict(list)
    for cls in classes:
        by_name[cls.__name__].append(cls)
    found: list[Site] = []
    for module in modules:
        if module.__name__.startswith("lightspeedpay.devdocs") or not getattr(module, "__file__", None):
            continue
        namespace = vars(module)
        for node in ast.walk(ast.parse(Path(module.__file__ or "").read_text())):
            if isinstance(node, ast.ClassDef) and namespace.get(node.name) in classes:
                owner = namespace[node.name]
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Call) and _super_init(inner):
                        given = _arguments(inner, ["message"]).get("message")
                        text = _text(given) if given is not None else None
                        if text:
                            found.append(Site(owner, module.__name__, None, text))
            if not isinstance(node, ast.Call):
                continue
            target = _resolve(node.func, namespace)
            if target is None and isinstance(node.func, ast.Name) and len(by_name[node.func.id]) == 1:
                target = by_name[node.func.id][0]  # imported inside a function: the one class of that name
            if target not in classes:
                continue
            args = _arguments(node, _parameters(target))
            code = _text(args["code"]) if carries_code(target) and "code" in args else None
            message = _text(args["message"]) if "message" in args else None
            found.append(Site(target, module.__name__, code, message))
    return found


def _specimen(code: str, status: int, *, routing: bool = False) -> AppError:
    """An error with this code and status, for the /v1 renderer (the classes' own constructors and bodies want
    arguments that vary); Starlette's routing errors are HttpError, which /v1 treats apart."""
    if routing:
        return HttpError(status, "")
    specimen = type("Specimen", (AppError,), {"status_code": status, "code": code})
    return specimen("")


def _on_v1(exc: AppError) -> tuple[int, str, str]:
    response = razorpay_errors.render(exc)
    error = json.loads(bytes(response.body))["error"]
    return response.status_code, error["code"], error["reason"]


def _doc(cls: type) -> str | None:
    doc = cls.__dict__.get("__doc__")
    return " ".join(inspect.cleandoc(doc).split()) if doc else None


def entries() -> list[Entry]:
    modules = _modules()
    classes = set(_subclasses(AppError))
    sites = _sites(modules, classes)
    found: dict[tuple[str, int], Entry] = {}

    def entry(code: str, status: int, cls: type[AppError], *, routing: bool = False) -> Entry:
        item = found.get((code, status))
        if item is None:
            item = found[(code, status)] = Entry(
                code, status, v1=_on_v1(_specimen(code, status, routing=routing))
            )
        if f"{cls.__module__}.{cls.__qualname__}" not in item.classes:
            item.classes.append(f"{cls.__module__}.{cls.__qualname__}")
        doc = None if carries_code(cls) else _doc(cls)  # such a docstring is about the class, not each code
        if doc and doc not in item.docs:
            item.docs.append(doc)
        return item

    def add(item: Entry, site: Site) -> None:
        if site.module != site.cls.__module__ or _area(site.module) != "core":
            item.areas.add(_area(site.module))
        if site.message and site.message not in item.messages:
            item.messages.append(site.message)

    for cls in sorted(classes, key=lambda c: (c.__module__, c.__qualname__)):
        own = [site for site in sites if site.cls is cls]
        if cls is HttpError:
            for status in _ROUTING_STATUSES:
                entry(HttpError(status, "").code, status, cls, routing=True).areas.add("routing")
        elif cls is parsing.FieldError:
            for name, code in sorted(parsing._FIELD_CODES.items()):
                item = entry(code, cls.status_code, cls)
                item.areas.add(_area(cls.__module__))
                item.docs.insert(
                    0, f"The request body's `{name}` (or a field inside it) is missing or not valid."
                )
        elif carries_code(cls):
            for site in own:
                if site.code:
                    add(entry(site.code, cls.status_code, cls), site)
        else:
            item = entry(cls.code, cls.status_code, cls)
            for site in own:
                add(item, site)
    for item in found.values():
        item.areas = item.areas or {"core"}
    return sorted(found.values(), key=lambda e: (e.status, e.code))


def _v1_words(v1: tuple[int, str, str]) -> str:
    status, code, reason = v1
    return f"on `/v1`: {status} `{code}`, reason `{reason}`"


def _message_line(message: str) -> str:
    """A message on one line, as text: what Markdown would take for a list, a heading or a quote at its start
    is escaped (messages use `code` spans on purpose, which are kept)."""
    line = " ".join(message.split())
    numbered = re.match(r"\d+([.)])(\s|$)", line)
    if numbered:
        return f"{line[: numbered.start(1)]}\\{line[numbered.start(1) :]}"
    return "\\" + line if re.match(r"(#{1,6}|>|[-+*])(\s|$)|>", line) else line


def _anchors(by_status: dict[int, list[Entry]]) -> dict[Any, str]:
    """The headings' anchors, made in the order the page has them (a code under two statuses gets `-1`)."""
    seen: dict[str, int] = {}
    found: dict[Any, str] = {"title": slugify("Error codes", seen)}
    for status, group in by_status.items():
        found[status] = slugify(f"{status} {HTTPStatus(status).phrase}", seen)
        for item in group:
            found[(item.code, item.status)] = slugify(item.code, seen)
    return found


def markdown() -> str:
    items = entries()
    out = [
        "# Error codes",
        "",
        "_Generated from the error classes by `python -m lightspeedpay.devdocs sync`: edit the code, not this "
        "page. A test fails when this page and the code disagree._",
        "",
        "Every error of the native API (`/api/v1`) is JSON with a stable `code`, a sentence a person can act on "
        "and, when one field is at fault, its path in `field`:",
        "",
        "```json",
        '{"error": {"code": "REFUND_EXCEEDS_PAID", "message": "The refund amount (60000 paise) is greater than '
        'what is left to refund of the captured amount (49900 paise, counting refunds still pending).", '
        '"field": "amount"}}',
        "```",
        "",
        "Act on the `code` and the HTTP status, never on the wording of the `message`, which may change. The "
        'Razorpay-compatible API (`/v1`) answers in Razorpay\'s shape instead, `{"error": {"code", '
        '"description", "field", "source", "step", "reason", "metadata"}}`: its `code` is Razorpay\'s '
        "(`BAD_REQUEST_ERROR`, `GATEWAY_ERROR`, `SERVER_ERROR`) and our code is in `reason`, lower-cased; each "
        "entry below says how `/v1` words it. See [Switching from Razorpay](razorpay.md).",
        "",
        "What to do with an error:",
        "",
        "- **4xx**: the request is wrong, or not allowed now; sending it again as it is gets the same answer. "
        "Fix what the message and `field` point at. Two exceptions are safe to retry as they are: "
        "`IDEMPOTENCY_KEY_IN_USE` (409, the first request with that key is still running) and `RATE_LIMITED` "
        "(429, after `Retry-After` seconds).",
        "- **5xx**: nothing was changed; retry later with the same `Idempotency-Key` "
        "(see [Idempotency](idempotency.md)).",
        "",
        f"{len(items)} codes, by HTTP status:",
        "",
    ]
    by_status: dict[int, list[Entry]] = defaultdict(list)
    for item in items:
        by_status[item.status].append(item)
    anchors = _anchors(by_status)
    for status, group in by_status.items():
        links = ", ".join(f"[`{e.code}`](#{anchors[(e.code, e.status)]})" for e in group)
        out.append(f"- [{status} {HTTPStatus(status).phrase}](#{anchors[status]}): {links}")
    for status, group in by_status.items():
        out += ["", f"## {status} {HTTPStatus(status).phrase}"]
        for item in group:
            out += ["", f"### `{item.code}`", ""]
            out.append(f"HTTP {item.status} · {_v1_words(item.v1)} · from {', '.join(sorted(item.areas))}")
            for doc in item.docs:
                out += ["", doc]
            if item.messages:
                out += ["", "Messages:" if len(item.messages) > 1 else "Message:", ""]
                out += [f"- {_message_line(m)}" for m in item.messages[:MAX_MESSAGES]]
                if len(item.messages) > MAX_MESSAGES:
                    out.append(f"- … and {len(item.messages) - MAX_MESSAGES} more")
    return "\n".join(out) + "\n"
