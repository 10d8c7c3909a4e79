"""Two faults a typesetter corrects by hand, which WeasyPrint 70 leaves: a footnote printed on
the page after its call, and a page left short to keep a list with the paragraph before it.

- To give the paragraph at the foot of a page the lines its `orphans` asks for, WeasyPrint
  may move the last footnote already placed on that page to the next one, away from its call
  (`footnote-policy: line` governs only the line that calls a note). The paragraph that ends
  such a page is asked for one line more than it has there, so it begins on the next page.
- A list is kept with the paragraph before it (WeasyPrint's `ul, ol { break-before: avoid }`),
  so the end of that paragraph goes to the next page with the list's first item. Where that
  leaves the page more than three lines short, the list may begin the next page instead.

So the laid-out pages are read back, the element at fault is given the style that corrects
it, and the document is laid out again. The pages are read from WeasyPrint's boxes
(`Page._page_box`), which are not a public interface; the tests check the outcome in the
written PDF.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import weasyprint
from weasyprint.formatting_structure import boxes

log = logging.getLogger(__name__)

PASSES = 3
"""Layouts after the first at most: each corrects every page found, and a later page may only
then show a fault."""


def refined(page: weasyprint.HTML, document: weasyprint.Document, options: dict[str, Any]) -> weasyprint.Document:
    """The document laid out again until no page shows either fault."""
    if not all(getattr(p, "_page_box", None) is not None for p in document.pages):
        return document  # a WeasyPrint that keeps its boxes elsewhere: the tests say so
    for _ in range(PASSES):
        laid = [Laid(p) for p in document.pages]
        fixes = [fix for here, after in zip(laid, [*laid[1:], None], strict=True)
                 if (fix := here.stranded_note() or here.list_kept(after))]
        if not fixes:
            break
        for element, style in fixes:
            element.set("style", f"{element.get('style') or ''}; {style}".lstrip("; "))
        log.debug("pdf: laid out again, for %d page(s): %s", len(fixes), ", ".join(style for _e, style in fixes))
        document = page.render(**options)
    return document


class Laid:
    """One laid-out page: its body's blocks of lines, and the notes it calls and prints."""

    def __init__(self, page: Any):
        root = page._page_box  # the page, then its html box, footnote area and margin boxes
        self.body = root.children[0]
        self.blocks = [box for box in descendants(self.body) if isinstance(box, boxes.BlockContainerBox)
                       and box.element is not None and box.children and isinstance(box.children[-1], boxes.LineBox)]
        areas = [box for box in root.children if isinstance(box, boxes.FootnoteAreaBox) and box.children]
        self.printed = {note.element for area in areas for note in area.children}
        self.called = {box.footnote.element for box in descendants(self.body) if getattr(box, "footnote", None)}
        self.foot = areas[0].position_y if areas else root.content_box_y() + root.height

    def stranded_note(self) -> tuple[Any, str] | None:
        """The paragraph that ends this page, if the page calls a note it does not print."""
        if not self.blocks or self.called <= self.printed:
            return None
        last = self.blocks[-1]
        return last.element, f"orphans: {sum(isinstance(c, boxes.LineBox) for c in last.children) + 1}"

    def list_kept(self, after: Laid | None) -> tuple[Any, str] | None:
        """The list that begins the next page, if it took the end of this page's last paragraph
        with it and left this page more than three lines short."""
        if not self.blocks or after is None or not after.blocks:
            return None
        last, line = self.blocks[-1], self.blocks[-1].children[-1]
        if self.foot - (line.position_y + line.height) <= 3 * line.height:
            return None
        going_on = next((box for box in after.blocks if box.element is last.element), None)
        if going_on is None:
            return None
        parent = next(box for box in descendants(after.body) if going_on in getattr(box, "children", ()))
        following = parent.children[parent.children.index(going_on) + 1:]
        if following and following[0].element_tag in ("ul", "ol") and following[0].style["break_before"] == "avoid":
            return following[0].element, "break-before: auto"
        return None


def descendants(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", None) or ():
        yield from descendants(child)
