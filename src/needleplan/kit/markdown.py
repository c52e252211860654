"""The small Markdown subset that the API's own texts use, rendered to escaped HTML.

Paragraphs are separated by blank lines; inside them, `code spans` and [links](/path) with a
relative or https target. Everything else is text: ``<``, ``&`` and quotes are escaped, so
nothing in a text can add markup.
"""

from __future__ import annotations

import html
import re

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_INLINE = re.compile(r"`([^`]+)`|\[([^\]\[`]+)\]\(([^()\s]+)\)")
_SAFE_TARGET = re.compile(r"^(/(?!/)|https://)")


def render_inline(text: str) -> str:
    out: list[str] = []
    position = 0
    for match in _INLINE.finditer(text):
        code, label, target = match.groups()
        if code is None and not _SAFE_TARGET.match(target):
            continue  # left as text: only relative and https links are made links
        out.append(html.escape(text[position : match.start()]))
        if code is not None:
            out.append(f"<code>{html.escape(code)}</code>")
        else:
            out.append(f'<a href="{html.escape(target)}">{html.escape(label)}</a>')
        position = match.end()
    out.append(html.escape(text[position:]))
    return "".join(out)


def render(text: str) -> str:
    """``text`` as HTML paragraphs."""
    paragraphs = (" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(text.strip()))
    return "".join(f"<p>{render_inline(p)}</p>" for p in paragraphs if p)
