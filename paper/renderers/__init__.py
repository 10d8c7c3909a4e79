"""One renderer per format; each writes into a staging folder and returns its artefacts.
The renderers are listed, with what each needs, in registry.py; what they share (templates,
the values every template may use) is here."""

from __future__ import annotations

import contextlib
import functools
import traceback
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2
import jinja2.sandbox

from ..diagnostics import error
from ..errors import UserError
from ..labels import labels_for, long_date
from ..model import BuildContext, Manuscript, Paper


def template_environment(paper: Paper) -> jinja2.Environment:
    """Templates from the project's templates/ folder first, then the built-in ones.

    StrictUndefined: a template that names a missing value fails the build instead of
    printing nothing. Sandboxed: a paper folder's templates come from anyone, and may use the
    values they are given, never Python's internals (`cycler.__init__.__globals__`). One
    environment per templates folder in a process, so that `paper serve` compiles a template
    once, not on every save (jinja2 compiles it again when its file changes; a template added
    to or removed from the folder makes a new environment).
    """
    names = tuple(sorted(str(p) for p in paper.templates.rglob("*"))) if paper.templates else ()
    return environment(paper.templates, names)


@functools.lru_cache(maxsize=16)
def environment(templates: Path | None, names: tuple[str, ...]) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if templates:
        loaders.append(jinja2.FileSystemLoader(templates))
    loaders.append(jinja2.PackageLoader("paper", "templates"))
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders), undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html", "xhtml", "xml"]), keep_trailing_newline=True)
    env.filters["css_string"] = css_string
    env.filters["whole_compounds"] = whole_compounds
    return env


@contextlib.contextmanager
def template_errors(paper: Paper):
    """A template that fails (a syntax error, a missing value, a forbidden attribute) is a
    located error naming the template file, not a traceback."""
    try:
        yield
    except jinja2.TemplateError as exc:
        name, line = getattr(exc, "filename", None), getattr(exc, "lineno", None) or 0
        for frame, number in traceback.walk_tb(exc.__traceback__):
            filename = frame.f_code.co_filename
            if filename.endswith((".html", ".css", ".xml", ".js", ".xhtml")):
                name, line = filename, number
        path = Path(name) if name else Path("templates")
        if paper.templates and path.is_relative_to(paper.root):
            path = path.relative_to(paper.root)
        message = exc.message or str(exc)
        raise UserError([error(path, line, "template", f"the template cannot be used: {message}; "
                               "correct it, or delete it to use the built-in one")]) from None


def whole_compounds(text: str) -> jinja2.filters.Markup:
    """Text as HTML in which a compound's own hyphen ("South-South") is no place to break a
    line: each such word is kept whole (class "nobreak", as filters/pdf.lua does in the text)."""
    words = [jinja2.filters.escape(word) for word in str(text).split(" ")]
    return jinja2.filters.Markup(" ").join(
        jinja2.filters.Markup('<span class="nobreak">%s</span>') % word if "-" in word.strip("-") else word
        for word in words)


def css_string(text: str) -> str:
    """Text as a quoted CSS string, e.g. for `content:` or `string-set:`. Safe inside a
    <style> element too: '<' and '>' are written as CSS escapes, so a title holding
    '</style>' cannot end it."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace(">", "\\3e ")
               .replace("&", "\\26 "))
    escaped = "".join(" " if ch in "\n\r\f\v\x00" else ch for ch in escaped)
    return jinja2.filters.Markup(f'"{escaped}"')


def template_values(manuscript: Manuscript, context: BuildContext) -> dict[str, Any]:
    """What every template may use: meta, labels, chapters, slug, formats."""
    paper = manuscript.paper
    return {
        "meta": paper.meta,
        # A namespace, not the dict: Jinja looks up attributes first, so labels.copy or
        # labels.items would reach the dict's own methods instead of the words.
        "labels": SimpleNamespace(**labels_for(paper.meta.language)),
        "long_date": long_date(paper.meta.date, paper.meta.language),
        "chapters": manuscript.chapters,
        "abstract_html": manuscript.abstract_html,
        "slug": paper.slug,
        "formats": context.formats,
        "lists": numbered_lists(manuscript),
    }


def numbered_lists(manuscript: Manuscript) -> list[dict[str, Any]]:
    """The lists of figures, tables and boxes that paper.yaml asks for and that have items."""
    labels = labels_for(manuscript.paper.meta.language)
    pages = {c.id: f"{c.id}.html" for c in manuscript.chapters}
    front = {c.id for c in manuscript.chapters if c.role == "front-matter"}
    out = []
    for name in manuscript.paper.meta.lists:
        kind = {"figures": "figure", "tables": "table", "boxes": "box"}[name]
        items = [{"id": item.id, "label": item.label, "caption": item.caption,
                  "page": pages.get(item.chapter, ""), "front": item.chapter in front}
                 for item in manuscript.numbered if item.kind == kind]
        if items:
            out.append({"name": name, "title": labels[f"list_{name}"], "items": items})
    return out
