"""What Markdown written for bookdown, R Markdown or Quarto means here.

Authors bring chapters written for other tools. Their front matter, knitr code chunks,
`\\@ref(id)` links and `(PART)`/`(APPENDIX)` headings are understood where they mean
something here and reported where they do not; they never stop a build."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .tree import stringify, walk

FOREIGN_KEYS = {
    "date": "the paper's date is 'date:' in paper.yaml",
    "bibliography": "the bibliography is the file references.bib in the project folder",
    "csl": "the citation style is 'citation-style:' in paper.yaml",
    "biblio-style": "the citation style is 'citation-style:' in paper.yaml",
    "link-citations": "citations always link to the references",
    "url": "the site's address is 'site-url:' in paper.yaml",
    "cover-image": "the cover image is 'cover-image:' in paper.yaml",
    "description": "the paper's summary is 'abstract:' in paper.yaml",
    "subtitle": "the paper's subtitle is 'subtitle:' in paper.yaml",
    "lang": "the paper's language is 'language:' in paper.yaml",
    "language": "the paper's language is 'language:' in paper.yaml",
    "keywords": "the paper's keywords are 'keywords:' in paper.yaml",
    "license": "the paper's licence is 'license:' in paper.yaml",
    "doi": "the paper's DOI is 'doi:' in paper.yaml",
    "github-repo": "the site links to no repository",
}
"""Front matter keys of bookdown, R Markdown and Quarto with a meaning here, and where it lives."""

TOOL_SETTINGS = {"site", "output", "documentclass", "classoption", "geometry", "fontsize", "mainfont",
                 "editor_options", "format", "execute", "jupyter", "engine", "knit", "params",
                 "toc", "toc-depth", "number-sections", "always_allow_html", "header-includes",
                 "includes", "vignette", "draft", "categories", "tags", "image", "filters",
                 "crossref", "reference-location", "citation", "code-fold", "fig-cap-location"}
"""Settings of those tools for their own output; they mean nothing to this tool."""

CHUNK_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})[ \t]*\{[ \t]*([A-Za-z][\w+-]*)[ \t]*(?:[ ,]([^}]*))?\}[ \t]*$")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HIDING = re.compile(r"^(?:include|echo)\s*[=:]\s*(?:F|FALSE|false|no)\s*$")
REF = re.compile(r"@ref\(([A-Za-z][\w:.-]*)\)")
BOOKDOWN_PREFIXES = {"fig": "fig", "tab": "tbl", "tbl": "tbl", "eq": "eq", "box": "box", "sec": "sec"}


@dataclass
class Adapted:
    """What was found in a chapter written for another tool."""

    chunks: list[str] = field(default_factory=list)
    """The language of each code chunk (r, stata, python…), in order."""
    hidden: int = 0
    """Chunks marked include=FALSE or echo=FALSE, which are left out as knitr would."""
    inline_code: int = 0
    """Inline `r …` code, shown as code."""
    part: str = ""
    """The title of a part the chapter starts, from bookdown's '# (PART) Title {-}'."""
    appendices: bool = False
    """True when the chapter starts the appendices ('# (APPENDIX) Appendix {-}')."""


def knitr_fences(text: str) -> str:
    """The chapter's text with each knitr chunk fence (```{r label, eval=FALSE}) written as a
    fenced code block pandoc reads (```{.r .knitr-chunk}); nothing else changes, not even the
    number of lines. Only fences are looked at: their content, and a knitr fence shown inside
    a longer fence, stay as they are."""
    lines = text.split("\n")
    open_fence = ""
    for i, line in enumerate(lines):
        if open_fence:
            match = FENCE.match(line)
            if match and match.group(1)[0] == open_fence[0] and len(match.group(1)) >= len(open_fence) \
                    and not line.strip().strip(open_fence[0]):
                open_fence = ""
            continue
        chunk = CHUNK_FENCE.match(line)
        if chunk:
            indent, fence, language, options = chunk.groups()
            hidden = any(HIDING.match(option.strip()) for option in split_options(options or ""))
            classes = f".{language.lower()} .knitr-chunk" + (" .knitr-hidden" if hidden else "")
            lines[i] = f"{indent}{fence}{{{classes}}}"
            open_fence = fence
            continue
        match = FENCE.match(line)
        if match:
            open_fence = match.group(1)
    return "\n".join(lines)


def split_options(options: str) -> list[str]:
    """knitr's chunk options 'label, fig.cap="a, b", eval=F' split at commas outside quotes."""
    out, current, quote = [], "", ""
    for char in options:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == ",":
            out.append(current)
            current = ""
            continue
        current += char
    return [*out, current]


def adapt(blocks: list[Any]) -> tuple[list[Any], Adapted]:
    """The chapter's tree with other tools' constructs made ours: knitr chunks shown as code
    of their language (hidden ones left out, Quarto's '#|' option lines removed), \\@ref(id)
    made a cross-reference, (PART) and (APPENDIX) headings taken out and reported."""
    found = Adapted()
    out = []
    for block in blocks:
        if block["t"] == "Header" and block["c"][0] == 1:
            words = stringify(block["c"][2]).strip()
            if words.startswith("(PART)"):
                found.part = found.part or words.removeprefix("(PART)").strip()
                continue
            if words.startswith("(APPENDIX)"):
                found.appendices = True
                continue
        out.append(block)
    out = _chunks(out, found)
    for node in walk(out):
        inlines = inline_list(node)
        if inlines is not None:
            inlines[:] = _refs(inlines)
        elif node["t"] == "Code" and re.match(r"^(?:r|\{r\}|\{python\}) ", node["c"][1]):
            found.inline_code += 1
    return out, found


INLINE_POSITION = {"Para": None, "Plain": None, "Emph": None, "Strong": None, "Underline": None,
                   "Strikeout": None, "SmallCaps": None, "Superscript": None, "Subscript": None,
                   "Header": 2, "Span": 1, "Link": 1, "Quoted": 1}


def inline_list(node: dict[str, Any]) -> list[Any] | None:
    """The list of inlines a node holds directly, if it holds one."""
    if node["t"] not in INLINE_POSITION:
        return None
    position = INLINE_POSITION[node["t"]]
    return node["c"] if position is None else node["c"][position]


def _chunks(blocks: list[Any], found: Adapted) -> list[Any]:
    out = []
    for block in blocks:
        kind = block["t"]
        if kind == "CodeBlock" and "knitr-chunk" in block["c"][0][1] or kind == "CodeBlock" and \
                block["c"][1].startswith("#| "):
            attr, code = block["c"]
            lines = code.split("\n")
            options = [line[3:].strip() for line in lines if line.startswith("#| ")]
            classes = [c for c in attr[1] if not c.startswith("knitr-")]
            found.chunks.append(classes[0] if classes else "code")
            if "knitr-hidden" in attr[1] or any(HIDING.match(option) for option in options):
                found.hidden += 1
                continue
            body = "\n".join(line for line in lines if not line.startswith("#| ")).strip("\n")
            out.append({"t": "CodeBlock", "c": [[attr[0], classes, attr[2]], body]})
            continue
        if kind == "Div":
            block["c"][1] = _chunks(block["c"][1], found)
        elif kind == "BlockQuote":
            block["c"] = _chunks(block["c"], found)
        elif kind in ("BulletList", "OrderedList"):
            items = block["c"] if kind == "BulletList" else block["c"][1]
            items[:] = [_chunks(item, found) for item in items]
        out.append(block)
    return out


def _refs(inlines: list[Any]) -> list[Any]:
    """bookdown's \\@ref(intro), \\@ref(fig:map), \\@ref(tab:pilot) as our cross-references,
    which give the number alone, as bookdown does ("Chapter \\@ref(intro)" reads "Chapter 1")."""
    if not any(item.get("t") == "Str" and "@ref(" in item["c"] for item in inlines):
        return inlines
    out: list[Any] = []
    for item in inlines:
        if item.get("t") != "Str" or "@ref(" not in item["c"]:
            out.append(item)
            continue
        text, position = item["c"], 0
        for match in REF.finditer(text):
            if match.start() > position:
                out.append({"t": "Str", "c": text[position:match.start()]})
            out.append(ref_cite(match.group(1), match.group(0)))
            position = match.end()
        if position < len(text):
            out.append({"t": "Str", "c": text[position:]})
    return out


def ref_spellings(key: str) -> list[str]:
    """How bookdown writes a link to our cross-reference `key`, for finding it in the source:
    tbl:pilot as \\@ref(tab:pilot) or \\@ref(tbl:pilot), sec:intro as \\@ref(intro)."""
    kind, _, rest = key.partition(":")
    names = [f"{prefix}:{rest}" for prefix, ours in BOOKDOWN_PREFIXES.items() if ours == kind]
    return [f"@ref({name})" for name in ([rest] if kind == "sec" else []) + names]


def ref_cite(target: str, written: str) -> dict[str, Any]:
    """A cross-reference to `target` that shows its number only (pandoc's -@ form)."""
    prefix, _, rest = target.partition(":")
    key = f"{BOOKDOWN_PREFIXES[prefix]}:{rest}" if rest and prefix in BOOKDOWN_PREFIXES else f"sec:{target}"
    return {"t": "Cite", "c": [[{"citationId": key, "citationPrefix": [], "citationSuffix": [],
                                 "citationMode": {"t": "SuppressAuthor"}, "citationNoteNum": 0,
                                 "citationHash": 0}], [{"t": "Str", "c": "\\" + written}]]}
