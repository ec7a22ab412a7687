"""The agent console's ES modules as the gateway serves them: the page loads one module
script, every static import of every module resolves to a file served as JavaScript
(a broken import path fails here, before any browser), and no module writes markup
from strings (innerHTML and friends), so data can only ever be shown as text."""

from __future__ import annotations

import re
from pathlib import Path

from bot.gateway.app import STATIC_DIR

CONSOLE_DIR = STATIC_DIR / "console"
# `... from "x"` (import / re-export) and side-effect imports (`import "x";`).
IMPORT = re.compile(r"""\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']""", re.MULTILINE)
COMMENTS = re.compile(r"/\*.*?\*/|(?:^|\s)//\s[^\n]*", re.DOTALL)
MARKUP_SINKS = re.compile(r"\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment)\b")


def _modules() -> list[Path]:
    return sorted(CONSOLE_DIR.rglob("*.js"))


def _url(path: Path) -> str:
    return "/static/" + path.relative_to(STATIC_DIR).as_posix()


def test_the_console_page_loads_one_module_script() -> None:
    page = (CONSOLE_DIR / "index.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts == ['<script type="module" src="/static/console/main.js">'], scripts
    assert not re.search(r"<script\b[^>]*>\s*[^<\s]", page), "inline script (the policy allows none)"


def test_every_console_import_resolves_within_the_console() -> None:
    modules = _modules()
    assert len(modules) > 10, modules  # the console is split into modules
    for module in modules:
        text = module.read_text(encoding="utf-8")
        assert text.startswith("/*"), f"{module.name}: each module starts with a comment saying what it does"
        for target in (a or b for a, b in IMPORT.findall(text)):
            assert target.startswith(("./", "../")), f"{module}: non-relative import {target!r}"
            resolved = (module.parent / target).resolve()
            assert resolved.is_file(), f"{module}: import {target!r} does not exist"
            assert CONSOLE_DIR.resolve() in resolved.parents, f"{module}: import {target!r} leaves the console"


def test_no_console_module_writes_markup_from_strings() -> None:
    for module in _modules():
        found = MARKUP_SINKS.findall(COMMENTS.sub(" ", module.read_text(encoding="utf-8")))
        assert not found, f"{module.name} uses {found}: render data with h()/setText() (core/dom.js)"


async def test_the_gateway_serves_every_console_module_as_javascript(client) -> None:
    for module in _modules():
        response = await client.get(_url(module))
        assert response.status == 200, _url(module)
        # Browsers refuse module scripts served with a non-JavaScript MIME type.
        assert response.content_type in ("application/javascript", "text/javascript"), (
            _url(module),
            response.content_type,
        )
        assert await response.text() == module.read_text(encoding="utf-8")
