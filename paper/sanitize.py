"""Everything a chapter contains is untrusted. Raw HTML, in any spelling of its format name
(html, html4, HTML…), goes through nh3 every time; other raw formats are dropped; links keep
only safe schemes; attributes lose styles, event handlers and URLs; every image path and every
src in raw HTML is resolved inside the project. Each removal is a finding, which the loader
turns into a located warning or error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from typing import Any

import nh3

from .resolve import normalise_url, safe_link, scheme


class TooDeep(ValueError):
    """The text nests lists, quotations or blocks too deeply."""

TAGS = nh3.ALLOWED_TAGS - {"map", "area"}
ATTRIBUTES = {"*": {"class", "id", "title", "lang", "dir", "role"}, **nh3.ALLOWED_ATTRIBUTES}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
DROPPED_WITH_CONTENT = {"script", "style", "template", "iframe", "noscript", "xmp", "noembed", "noframes",
                        "object", "svg", "math", "textarea", "title"}
URL_ATTRIBUTES = {"src", "href", "xlink:href", "poster", "srcset", "data", "action", "formaction",
                  "background", "lowsrc", "dynsrc", "cite", "longdesc", "manifest", "codebase", "ping"}
"""Attributes whose value is a URL: never kept from {key=value} attributes in Markdown."""

REMOVED = object()
"""What the cleaner returns for an element it leaves out."""
Finding = tuple[str, str, str, str]
"""(level, code, message, text to find in the source for the line)."""
SourceResolver = Callable[[str], tuple[str | None, str, str]]
"""Image path as written -> (project-relative path, "", "") or (None, code, why refused)."""


def is_html(raw_format: str) -> bool:
    """pandoc writes raw blocks of these formats into HTML and EPUB, whatever their case."""
    name = raw_format.lower()
    return name.startswith("html") or name == "xhtml"


class _Tokens(HTMLParser):
    """The fragment as a list of tokens, read by a real HTML parser."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.tokens: list[tuple[str, str, list[tuple[str, str | None]], str]] = []

    def handle_starttag(self, tag, attrs):
        self.tokens.append(("start", tag, attrs, self.get_starttag_text() or ""))

    def handle_startendtag(self, tag, attrs):
        self.tokens.append(("start", tag, attrs, self.get_starttag_text() or ""))

    def handle_endtag(self, tag):
        self.tokens.append(("end", tag, [], f"</{tag}>"))

    def handle_data(self, data):
        self.tokens.append(("data", "", [], data))

    def handle_entityref(self, name):
        self.tokens.append(("data", "", [], f"&{name};"))

    def handle_charref(self, name):
        self.tokens.append(("data", "", [], f"&#{name};"))

    def unknown_decl(self, data):
        pass


def tokens(fragment: str) -> list[tuple[str, str, list[tuple[str, str | None]], str]]:
    parser = _Tokens()
    parser.feed(fragment)
    parser.close()
    if parser.rawdata:  # an unfinished tag at the end: text, escaped
        parser.tokens.append(("data", "", [], parser.rawdata))
    return parser.tokens


def balanced(found: list) -> bool:
    """Whether every element opened in the fragment is closed in it (pandoc hands over raw
    HTML in pieces, an opening tag on its own, say, which a cleaner would close at once)."""
    stack: list[str] = []
    for kind, tag, _attrs, text in found:
        if kind == "start" and tag not in VOID and not text.endswith("/>"):
            stack.append(tag)
        elif kind == "end":
            if not stack or stack[-1] != tag:
                return False
            stack.pop()
    return not stack


class HtmlCleaner:
    """Cleans raw HTML fragments, resolving image sources, and records what it removed."""

    def __init__(self, resolve_source: SourceResolver):
        self.resolve_source = resolve_source
        self.findings: list[Finding] = []

    def _filter(self, tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            found, code, reason = self.resolve_source(value)
            if found is None:
                self.findings.append(("error", code, reason, value))
            return found
        if attribute in URL_ATTRIBUTES and not safe_link(value):
            return None
        return value

    def _nh3(self, html: str) -> str:
        return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, generic_attribute_prefixes={"aria-"},
                         url_schemes={"http", "https", "mailto"}, attribute_filter=self._filter,
                         strip_comments=True, link_rel=None, clean_content_tags=DROPPED_WITH_CONTENT)

    def clean(self, fragment: str) -> str:
        found = tokens(fragment)
        self._report(found)
        if balanced(found):
            return self._nh3(fragment)
        # A piece of an element: each token is cleaned on its own, so that an opening tag
        # stays open for the Markdown that follows it.
        out: list[str] = []
        skipping = ""
        for kind, tag, _attrs, text in found:
            if skipping:
                if kind == "end" and tag == skipping:
                    skipping = ""
                continue
            if kind == "start":
                if tag in DROPPED_WITH_CONTENT:
                    skipping = "" if tag in VOID or text.endswith("/>") else tag
                    continue
                out.append(self._start_tag(tag, _attrs))
            elif kind == "end":
                out.append(f"</{tag}>" if tag in TAGS else "")
            else:
                out.append(self._nh3(text))
        return "".join(out)

    def _start_tag(self, tag: str, attrs: list[tuple[str, str | None]]) -> str:
        """One opening tag on its own, written from its parsed name and allowed attributes (an
        HTML cleaner would drop a lone <tr> or <td>, which are only allowed inside a table)."""
        if tag not in TAGS:
            return ""
        allowed = ATTRIBUTES["*"] | ATTRIBUTES.get(tag, set())
        kept = []
        for name, value in attrs:
            if name in allowed or name.startswith("aria-"):
                value = self._filter(tag, name, value or "")
                if value is not None:
                    kept.append(f' {name}="{escape(value)}"')
        return f"<{tag}{''.join(kept)}>"

    def _report(self, found: list) -> None:
        for kind, tag, attrs, text in found:
            if kind != "start":
                continue
            if tag not in TAGS:
                self.findings.append(("warning", "unsafe-html", f"the HTML element <{tag}> is removed from the "
                                      "outputs: chapters may not contain scripts, frames, forms, media, "
                                      "styles or other active content", text))
                continue
            allowed = ATTRIBUTES["*"] | ATTRIBUTES.get(tag, set())
            for name, value in attrs:
                if name not in allowed and not name.startswith("aria-"):
                    self.findings.append(("warning", "unsafe-html", f"the attribute '{name}' of <{tag}> is removed "
                                          "from the outputs: chapters may not contain event handlers, styles "
                                          "or attributes that load or run anything", text))
                elif name in URL_ATTRIBUTES and name != "src" and value and not safe_link(value):
                    self.findings.append(("warning", "unsafe-link", f"the link {normalise_url(value)[:60]} is "
                                          "removed: only http, https and mailto links are kept", text))


# Where each element keeps its attributes ([id, classes, [[key, value], …]]) in pandoc's AST.
ATTR_POSITION = {"Span": 0, "Div": 0, "Link": 0, "Image": 0, "Code": 0, "CodeBlock": 0,
                 "Table": 0, "Figure": 0, "Header": 1, "TableHead": 0, "TableFoot": 0, "Cell": 0, "Row": 0}


INTERNAL_CLASSES = {"chapter", "heading-number", "caption-label", "header-section-number"}
INTERNAL_KEYS = {"source", "running-title"}
"""Classes and attributes the tool gives its own elements; a chapter's are removed, so that
no heading of a chapter passes for the start of another one."""


def keep_attribute(key: str, value: str) -> bool:
    name = key.lower()
    return (name != "style" and not name.startswith("on") and name not in URL_ATTRIBUTES
            and scheme(value) not in ("javascript", "vbscript", "data"))


def safe_attr(attr: list[Any], author: bool = False) -> list[Any]:
    """Attributes written as {key=value} in Markdown: no styles, event handlers or URLs."""
    kept = [[key, value] for key, value in attr[2] if keep_attribute(key, value)
            and not (author and (key.lower() in INTERNAL_KEYS or key.lower().startswith("paper-")))]
    classes = [c for c in attr[1] if c not in INTERNAL_CLASSES] if author else attr[1]
    return [attr[0], classes, kept]


@dataclass
class TreeCleaner:
    """Makes a clean copy of a pandoc AST: raw formats, links, attributes, image paths."""

    html: HtmlCleaner
    author: bool = True
    """Cleaning what an author wrote: the tool's own classes and attributes are removed too."""
    max_depth: int = 0
    """Levels of nesting allowed (0: any); deeper raises TooDeep."""
    level: int = 0

    @property
    def findings(self) -> list[Finding]:
        return self.html.findings

    def __call__(self, node: Any) -> Any:
        if isinstance(node, list):
            self.level += 1
            if self.max_depth and self.level > self.max_depth:
                raise TooDeep()
            cleaned = [item for item in map(self, node) if item is not REMOVED]
            self.level -= 1
            return cleaned
        if not isinstance(node, dict):
            return node
        kind = node.get("t")
        if kind in ("RawBlock", "RawInline"):
            raw_format, text = node["c"]
            if is_html(raw_format):
                return {**node, "c": ["html", self.html.clean(text)]}
            self.findings.append(("warning", "raw-format", f"a raw '{raw_format}' block is left out: only "
                                  "HTML can be written raw into a chapter", text.strip().split("\n")[0][:60]))
            return REMOVED
        if "c" not in node:
            return node
        content = self(node["c"])
        if kind in ATTR_POSITION and isinstance(content, list) and content:
            content[ATTR_POSITION[kind]] = safe_attr(content[ATTR_POSITION[kind]], self.author)
        if kind == "Image":
            src = content[2][0]
            found, code, reason = self.html.resolve_source(src)
            if found is None:
                self.findings.append(("error", code, reason, src))
            elif self.author and not any(item.get("t") not in ("Space", "SoftBreak") for item in content[1]) \
                    and not any(key == "alt" and value.strip() for key, value in content[0][2]):
                self.findings.append(("warning", "no-alt-text", f"image {src} has no description: write one "
                                      "between the square brackets, for readers who cannot see it", src))
            content[2] = [found or "", content[2][1]]
        if kind == "Link":
            target = content[2][0]
            if not safe_link(target):
                self.findings.append(("warning", "unsafe-link", f"the link {normalise_url(target)[:60]} is "
                                      "removed (its text stays): only http, https and mailto links, places "
                                      "in the paper and files in the project are kept", target))
                return {"t": "Span", "c": [content[0], content[1]]}
            content[2] = [target.strip(), content[2][1]]
        return {**node, "c": content}


def sanitize(node: Any, resolve_source: SourceResolver) -> tuple[Any, list[Finding]]:
    """The assembled paper, cleaned once more: chapter and box titles, read by the Lua filters,
    are Markdown too. Returns the clean tree and what was removed."""
    cleaner = TreeCleaner(HtmlCleaner(resolve_source), author=False)
    return cleaner(node), cleaner.findings
