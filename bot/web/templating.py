"""Tiny HTML templating: ``string.Template`` files in ``templates/`` and an element builder.

Every value is HTML-escaped on the way in, except :class:`Markup`, which only this module's
builders produce from values they escaped themselves.
"""
from __future__ import annotations

import html
import string
from functools import lru_cache
from pathlib import Path
from typing import Iterable

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
_VOID = {"input", "br", "meta", "link", "img", "hr"}


class Markup(str):
    """HTML that is already safe to insert as it is."""


def escape(value: object) -> Markup:
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


def h(tag: str, *children: object, **attrs: object) -> Markup:
    """``<tag attrs>children</tag>``; ``class_`` → class, ``aria_label`` → aria-label, True → bare."""
    parts = [tag]
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        name = name.rstrip("_").replace("_", "-")
        parts.append(name if value is True else f'{name}="{escape(value)}"')
    opening = f"<{' '.join(parts)}>"
    if tag in _VOID:
        return Markup(opening)
    return Markup(opening + join(children) + f"</{tag}>")


def join(items: Iterable[object], separator: str = "") -> Markup:
    return Markup(separator.join(escape(item) for item in items))


@lru_cache(maxsize=None)
def _template(name: str) -> string.Template:
    return string.Template((TEMPLATE_DIR / name).read_text(encoding="utf-8"))


def render(name: str, /, **values: object) -> Markup:
    """Fill ``templates/<name>``; every ``$placeholder`` must be given."""
    return Markup(_template(name).substitute({key: escape(value) for key, value in values.items()}))
