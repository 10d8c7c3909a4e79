"""Raw HTML in a chapter made part of its tree.

Books written for bookdown or Quarto use HTML where Markdown has no word for it: `<br>`,
`<sup>`, `<span class="…">`, `<center>`, HTML tables, comments. pandoc hands such HTML over
in pieces (an opening tag, the Markdown inside, the closing tag), which every writer would
copy as they are, and an EPUB needs XHTML. Here each piece the tree can say itself becomes
pandoc's own element (a line break, a superscript, a span, a table), read with an HTML
parser (sanitize.tokens), so that every format writes it properly; what is left is written
as XHTML (`<br />`). Runs on the cleaned tree, so only allowed HTML is seen."""

from __future__ import annotations

from html import escape, unescape
from typing import Any

from .sanitize import VOID, is_html, tokens

INLINE = {"sup": "Superscript", "sub": "Subscript", "em": "Emph", "i": "Emph", "strong": "Strong",
          "b": "Strong", "u": "Underline", "s": "Strikeout", "del": "Strikeout", "strike": "Strikeout"}
SPANS = {"span", "small", "mark", "abbr", "cite", "q", "kbd", "var", "ins", "font", "big", "tt", "dfn", "bdi"}
BLOCKS = {"center", "p", "div", "section", "article", "aside", "blockquote", "figure", "figcaption", "header",
          "footer", "main", "nav"}
OBSOLETE = {"center": "div", "font": "span", "big": "span", "tt": "code", "strike": "s", "acronym": "abbr"}
"""HTML elements an EPUB may not hold, written as their modern equivalent where left raw."""


def attr_of(attrs: list[tuple[str, str | None]], tag: str) -> list[Any]:
    """Pandoc attributes from a (cleaned) tag's: id, classes (the tag's name among them when
    it has no pandoc element of its own, so that CSS can style it), lang, title."""
    values = dict(attrs)
    classes = (values.get("class") or "").split()
    if tag not in ("span", "div", "p"):
        classes.insert(0, tag)
    kept = [[key, value] for key, value in attrs if key in ("lang", "title", "dir") and value]
    return [values.get("id") or "", classes, kept]


def single(node: dict[str, Any]) -> tuple[str, str, list] | None:
    """(kind, tag, attrs) when a raw HTML node is one tag; ("comment", "", []) for a comment."""
    if not (node["t"] in ("RawInline", "RawBlock") and is_html(node["c"][0])):
        return None
    text = node["c"][1].strip()
    if text.startswith("<!--"):
        return ("comment", "", []) if text.endswith("-->") else None
    found = [t for t in tokens(text) if not (t[0] == "data" and not t[3].strip())]
    if len(found) != 1 or found[0][0] == "data":
        return None
    kind, tag, attrs, _ = found[0]
    return kind, tag, attrs


def closing(items: list[Any], start: int, tag: str) -> int | None:
    """The position of the tag's closing piece after `start` in the same list, nesting counted."""
    depth = 0
    for i in range(start + 1, len(items)):
        found = single(items[i])
        if found and found[1] == tag:
            if found[0] == "start":
                depth += 1
            elif depth == 0:
                return i
            else:
                depth -= 1
    return None


def fold_inlines(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    i = 0
    while i < len(items):
        item = items[i]
        found = single(item)
        if found is None:
            out.append(item)
        elif found[0] == "comment" or found[1] == "wbr":
            pass
        elif found[0] == "start" and found[1] == "br":
            out.append({"t": "LineBreak"})
        elif found[0] == "start" and (found[1] in INLINE or found[1] in SPANS):
            end = closing(items, i, found[1])
            if end is not None:
                inner = fold_inlines(items[i + 1:end])
                if found[1] in INLINE and not dict(found[2]).get("class") and not dict(found[2]).get("id"):
                    out.append({"t": INLINE[found[1]], "c": inner})
                else:
                    out.append({"t": "Span", "c": [attr_of(found[2], found[1]), inner]})
                i = end + 1
                continue
            out.append(xhtml(item))
        else:
            out.append(xhtml(item))
        i += 1
    return out


def fold_blocks(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    i = 0
    while i < len(items):
        item = items[i]
        found = single(item) if item["t"] == "RawBlock" else None
        if found and found[0] == "comment":
            i += 1
            continue
        if found and found[0] == "start" and found[1] == "hr":
            out.append({"t": "HorizontalRule"})
            i += 1
            continue
        if found and found[0] == "start" and found[1] in ("table", *BLOCKS):
            end = closing(items, i, found[1])
            if end is not None:
                inner = items[i + 1:end]
                made = table(inner) if found[1] == "table" else \
                    {"t": "Div", "c": [attr_of(found[2], found[1]), fold_blocks(inner)]}
                if made is not None:
                    out.append(made)
                    i = end + 1
                    continue
        out.append(descend(item))
        i += 1
    return out


def descend(block: dict[str, Any]) -> dict[str, Any]:
    """A block with the HTML inside it folded."""
    kind = block["t"]
    content: Any = block.get("c")
    if kind in ("Para", "Plain"):
        return {"t": kind, "c": fold_inlines(content)}
    if kind == "Header":
        return {"t": kind, "c": [content[0], content[1], fold_inlines(content[2])]}
    if kind == "Div":
        return {"t": kind, "c": [content[0], fold_blocks(content[1])]}
    if kind == "BlockQuote":
        return {"t": kind, "c": fold_blocks(content)}
    if kind == "BulletList":
        return {"t": kind, "c": [fold_blocks(item) for item in content]}
    if kind == "OrderedList":
        return {"t": kind, "c": [content[0], [fold_blocks(item) for item in content[1]]]}
    if kind == "Figure":
        caption = content[1]
        return {"t": kind, "c": [content[0], [caption[0], fold_blocks(caption[1])], fold_blocks(content[2])]}
    if kind == "Table":
        return {"t": kind, "c": fold_table(content)}
    if kind == "RawBlock":
        return xhtml(block)
    return block


def fold_table(content: list[Any]) -> list[Any]:
    """A Markdown table's caption and cells folded (a <br> in a pipe table's cell)."""
    attr, caption, specs, head, bodies, foot = content

    def rows(rows: list[Any]) -> list[Any]:
        return [[row[0], [[*cell[:4], fold_blocks(cell[4])] for cell in row[1]]] for row in rows]

    return [attr, [caption[0], fold_blocks(caption[1])], specs, [head[0], rows(head[1])],
            [[body[0], body[1], rows(body[2]), rows(body[3])] for body in bodies], [foot[0], rows(foot[1])]]


def table(inner: list[Any]) -> dict[str, Any] | None:
    """A pandoc table from the pieces of an HTML table (rows of th/td cells, caption); None
    when the pieces are not plainly a table (a table inside a cell, say), which stays raw."""
    head: list[Any] = []
    body: list[Any] = []
    caption: list[Any] = []
    row: list[Any] | None = None
    cell: list[Any] | None = None
    span = (1, 1)
    section = "body"
    target: list[Any] | None = None
    for item in inner:
        found = single(item) if item["t"] == "RawBlock" else None
        if found is None:
            if item["t"] == "RawBlock" and is_html(item["c"][0]):
                return None  # several tags in one piece, or a table inside
            if target is None:
                if item["t"] in ("Plain", "Para") and not any(x["t"] not in ("Space", "SoftBreak")
                                                              for x in item["c"]):
                    continue
                return None
            target.append(descend(item))
            continue
        kind, tag, attrs = found
        if kind == "comment" or tag in ("tbody", "colgroup", "col"):
            continue
        if tag in ("thead", "tfoot"):
            section = tag if kind == "start" else "body"
        elif tag == "caption":
            target = caption if kind == "start" else None
        elif tag == "tr":
            if kind == "start":
                row = []
            elif row is not None:
                header_row = section == "thead" or (not body and row and all(c[0] == "th" for c in row))
                (head if header_row else body).append(row)
                row = None
        elif tag in ("td", "th") and row is not None:
            if kind == "start":
                values = dict(attrs)
                span = (_number(values.get("rowspan")), _number(values.get("colspan")))
                cell = []
                target = cell
            elif cell is not None:
                row.append((tag, span, cell))
                cell, target = None, None
        else:
            return None
    width = max((sum(c[1][1] for c in r) for r in head + body), default=0)
    if not width:
        return None

    def made(rows: list[Any]) -> list[Any]:
        return [[["", [], []], [[["", [], []], {"t": "AlignDefault"}, rs, cs, blocks]
                                for _tag, (rs, cs), blocks in r]] for r in rows]

    return {"t": "Table", "c": [["", [], []], [None, fold_blocks(caption)],
                                [[{"t": "AlignDefault"}, {"t": "ColWidthDefault"}] for _ in range(width)],
                                [["", [], []], made(head)], [[["", [], []], 0, [], made(body)]],
                                [["", [], []], []]]}


def _number(value: str | None) -> int:
    return int(value) if value and value.isdigit() and 0 < int(value) < 100 else 1


def xhtml(node: dict[str, Any]) -> dict[str, Any]:
    """Raw HTML left as it is, written as XHTML: void elements closed (<br />), comments and
    obsolete elements (<center>) replaced."""
    if not (node["t"] in ("RawInline", "RawBlock") and is_html(node["c"][0])):
        return node
    out = []
    for kind, tag, attrs, text in tokens(node["c"][1]):
        if kind == "data":
            out.append(escape(unescape(text), quote=False))
            continue
        name = OBSOLETE.get(tag, tag)
        if kind == "end":
            out.append(f"</{name}>" if tag not in VOID else "")
            continue
        values = "".join(f' {key}="{escape(value or "")}"' for key, value in attrs)
        if tag in OBSOLETE and name in ("div", "span"):
            values = f' class="{tag}"' + "".join(f' {key}="{escape(value or "")}"' for key, value in attrs
                                                 if key != "class")
        out.append(f"<{name}{values} />" if tag in VOID else f"<{name}{values}>")
    return {"t": node["t"], "c": [node["c"][0], "".join(out)]}


def fold_meta(value: Any) -> Any:
    """The front matter's texts (a title with a <br> in it) folded like the body."""
    if isinstance(value, dict) and value.get("t") == "MetaInlines":
        return {"t": "MetaInlines", "c": fold_inlines(value["c"])}
    if isinstance(value, dict) and value.get("t") == "MetaBlocks":
        return {"t": "MetaBlocks", "c": fold_blocks(value["c"])}
    if isinstance(value, dict) and value.get("t") == "MetaList":
        return {"t": "MetaList", "c": [fold_meta(item) for item in value["c"]]}
    if isinstance(value, dict) and "t" not in value:
        return {key: fold_meta(item) for key, item in value.items()}
    return value
