"""Tags WeasyPrint 70 leaves out of the PDF's tag tree, added as it builds the tree.

WeasyPrint tags an element by its HTML name alone, so a footnote (our `span.footnote`,
floated to the foot of the page) becomes a Span in an untyped NonStruct, its call and its
number untyped NonStructs too, and a passage in another language (`[...]{lang=es}`) keeps no
language. PDF/UA-1 asks for a Note for each footnote (here with its number as a Lbl and its
call as a Reference), and a /Lang on each change of language. WeasyPrint has no option for
these, so its tree builder is wrapped: each element it makes for a box is given what the
box's HTML element says. Only the tags change, never the layout.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pydyf
from weasyprint.pdf import tags

_build = tags._build_box_tree


def _tagged(box: Any, parent: Any, pdf: Any, page_number: int, *args: Any) -> Iterator[Any]:
    html = getattr(box, "element", None)
    for element in _build(box, parent, pdf, page_number, *args):
        if html is not None and element["P"] == parent.reference and element.get("S") != "/Link":
            if "footnote" in (html.get("class") or "").split():
                kind = (box.element_tag or "").rpartition("::")[2]
                if element["S"] == "/Span" and not kind.startswith("footnote"):
                    element["S"] = "/Note"  # its ID and its place beside its call are given in join.py
                elif kind == "footnote-call":
                    element["S"] = "/Reference"
                elif kind == "footnote-marker":
                    element["S"] = "/Lbl"
            lang = html.get("lang")
            if lang and html.tag not in ("html", "body"):
                element["Lang"] = pydyf.String(lang)
        yield element


tags._build_box_tree = _tagged
