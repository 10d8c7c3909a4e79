"""Join PDFs that WeasyPrint wrote piece by piece into the one PDF a whole-document layout gives.

pikepdf copies the pages; what WeasyPrint keeps document-wide is put together here as it would
have written it: the tag tree (one /Document element, a parent tree numbered page by page and
then link by link), the named destinations, the outline, the links between pieces and the
page labels. Catalogue entries and metadata come from the first piece, which describes the
whole paper.
"""

from __future__ import annotations

import io
import warnings
from typing import Any
from urllib.parse import unquote

import pikepdf

from ...cache import Cache
from .share import PdfObject, share_fonts, share_profiles

LINK_PREFIX = "https://link.invalid/#"
"""A link into another piece is written as this URL, so that WeasyPrint keeps it; the join
turns it back into a link to the named destination."""


def join(pieces: list[bytes], anchors: list[tuple[str, ...]], body_start: int, cache: Cache | None = None,
         xmp: dict[str, Any] | None = None) -> bytes:
    """The pieces' pages in order, as one PDF. `anchors`: the ids anchored on each page;
    `body_start`: the 0-based page printed "1"; `cache` keeps the joined fonts; `xmp`: what
    the metadata adds to WeasyPrint's (`write_xmp`)."""
    out = pikepdf.open(io.BytesIO(pieces[0]))
    sources = [out] + [pikepdf.open(io.BytesIO(data)) for data in pieces[1:]]
    document = out.Root.StructTreeRoot.K[0]
    pages, annotations, names, outline = [], [], [], []
    for source in sources:
        first = 0 if source is out else len(out.pages)
        tree = parent_tree(source)
        if source is not out:
            source_document = source.Root.StructTreeRoot.K[0]
            del source_document["/P"]  # the piece's own tree root stays behind
            with warnings.catch_warnings():  # about named destinations, which are joined below
                warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
                out.pages.extend(source.pages)
            for element in out.copy_foreign(source_document).K:
                element.P = document
                document.K.append(element)
        copied = list(out.pages)[first:]
        pages += [(page, copy(out, source, tree[int(page.StructParents)])) for page in copied]
        links = {int(a.StructParent): a for page in copied for a in page.obj.get("/Annots", [])
                 if "/StructParent" in a}
        annotations += [(links[key], copy(out, source, tree[key])) for key in sorted(links)]
        names += named_destinations(out, source)
        outline += outline_items(out, source)
    numbers = []
    for index, (page, value) in enumerate(pages):
        page.StructParents = index
        numbers += [index, value]
    for index, (annotation, value) in enumerate(annotations, start=len(pages)):
        annotation.StructParent = index
        numbers += [index, value]
        retarget(annotation)
    out.Root.StructTreeRoot.ParentTree = out.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(numbers)))
    if names:
        names.sort(key=lambda pair: str(pair[0]))
        flat = [item for pair in names for item in pair]
        out.Root.Names = pikepdf.Dictionary(Dests=pikepdf.Dictionary(Names=pikepdf.Array(flat)))
    link_outline(out, outline)
    label_pages(out, anchors, body_start)
    share_fonts(out, cache)
    share_profiles(out)
    write_xmp(out, xmp or {})
    result = io.BytesIO()
    out.save(result, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    for source in sources:
        source.close()
    return result.getvalue()


def parent_tree(source: pikepdf.Pdf) -> dict[int, PdfObject]:
    numbers = source.Root.StructTreeRoot.ParentTree.Nums
    return {int(numbers[i]): numbers[i + 1] for i in range(0, len(numbers), 2)}


def copy(out: pikepdf.Pdf, source: pikepdf.Pdf, value: PdfObject) -> PdfObject:
    """A parent-tree value in `out`: an array (held in place) of structure elements, or one."""
    if source is out:
        return value
    if isinstance(value, pikepdf.Array) and not value.is_indirect:
        return pikepdf.Array([out.copy_foreign(item) for item in value])
    return out.copy_foreign(value)


def named_destinations(out: pikepdf.Pdf, source: pikepdf.Pdf) -> list[tuple]:
    root: PdfObject = source.Root
    names = root.get("/Names", {}).get("/Dests", {}).get("/Names", [])
    pairs = [(names[i], names[i + 1]) for i in range(0, len(names), 2)]
    if source is out:
        return pairs
    return [(name, pikepdf.Array([out.copy_foreign(item) if isinstance(item, pikepdf.Dictionary)
                                  else item for item in destination]))
            for name, destination in pairs]


def outline_items(out: pikepdf.Pdf, source: pikepdf.Pdf) -> list[PdfObject]:
    """The piece's top-level outline entries (each with its own entries below it)."""
    root: PdfObject = source.Root
    item = root.get("/Outlines", {}).get("/First")
    items = []
    while item is not None:
        items.append(item if source is out else out.copy_foreign(item))
        item = item.get("/Next")
    return items


def link_outline(out: pikepdf.Pdf, items: list[PdfObject]) -> None:
    if not items:
        return
    root = out.Root.get("/Outlines") or out.make_indirect(pikepdf.Dictionary())
    out.Root.Outlines = root
    for before, item in zip([None, *items[:-1]], items, strict=True):
        item.Parent = root
        if before is None:
            drop(item, "/Prev")
        else:
            item.Prev, before.Next = before, item
    drop(items[-1], "/Next")
    root.First, root.Last = items[0], items[-1]
    root.Count = sum(1 + max(int(item.get("/Count", 0)), 0) for item in items)


def drop(dictionary: PdfObject, key: str) -> None:
    if key in dictionary:
        del dictionary[key]


def retarget(annotation: PdfObject) -> None:
    """A link written as LINK_PREFIX + id becomes a link to the named destination `id`."""
    uri = str(annotation.get("/A", {}).get("/URI", ""))
    if uri.startswith(LINK_PREFIX):
        name = pikepdf.String(unquote(uri[len(LINK_PREFIX):]))
        del annotation["/A"]
        annotation.Contents = name
        annotation.Dest = name


TITLE_PAGE = "paper-title-page"
BACK_COVER = "paper-inside-back-cover"
"""The ids (templates/pdf.html) of the first page counted, after the cover and its blank back,
and of the first page of the back cover, which is not counted either."""


def title_page(pages) -> int:
    """The 0-based page, of pages given by the ids anchored on each, where the count begins."""
    return next((i for i, ids in enumerate(pages) if TITLE_PAGE in ids), 0)


def back_cover(pages) -> int:
    """The 0-based page where the back cover begins (the number of pages if there is none)."""
    return next((i for i, ids in enumerate(pages) if BACK_COVER in ids), len(pages))


def label_pages(out: pikepdf.Pdf, anchors: list[tuple[str, ...]], body_start: int) -> None:
    """Page labels as printed (WeasyPrint does not write them): C1, C2 for the cover and its back,
    i, ii, … for the front matter from the title page, 1, 2, … from 0-based page `body_start`,
    and C3, C4 for the back cover. `anchors`: the ids anchored on each page."""
    title, back = title_page(anchors), back_cover(anchors)
    numbers = [0, pikepdf.Dictionary(S=pikepdf.Name.D, P="C")] if title > 0 else []
    numbers += [title, pikepdf.Dictionary(S=pikepdf.Name.r)]
    if body_start > title:
        numbers += [body_start, pikepdf.Dictionary(S=pikepdf.Name.D)]
    if back < len(out.pages):
        numbers += [back, pikepdf.Dictionary(S=pikepdf.Name.D, P="C", St=title + 1)]
    out.Root.PageLabels = pikepdf.Dictionary(Nums=pikepdf.Array(numbers))


def with_page_labels(pdf: bytes, anchors: list[tuple[str, ...]], body_start: int,
                     xmp: dict[str, Any] | None = None) -> bytes:
    """A whole-document PDF with its page labels, finished tags and metadata."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        label_pages(document, anchors, body_start)
        finish_tags(document)
        write_xmp(document, xmp or {})
        out = io.BytesIO()
        document.save(out, deterministic_id=True)
    return out.getvalue()


def write_xmp(pdf: pikepdf.Pdf, values: dict[str, Any]) -> None:
    """XMP properties WeasyPrint does not write (the licence, the DOI, the language, the
    publisher), added to its own. Only the schemas PDF/A predefines (dc, xmpRights), so that
    no extension schema is needed; no date is changed, so the same sources give the same bytes."""
    given = {name: value for name, value in values.items() if value}
    if not given:
        return
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        for name, value in given.items():
            meta[name] = value


def finished_piece(pdf: bytes, name: str) -> bytes:
    """A piece's PDF with its tags finished (`finish_tags`) when it is laid out, and kept so
    in the cache: the join then need not go through the whole paper's tags. Its notes' IDs
    begin with the piece's name, unique in the paper."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        finish_tags(document, f"note-{name}")
        out = io.BytesIO()
        document.save(out, deterministic_id=True)
    return out.getvalue()


def finish_tags(out: pikepdf.Pdf, prefix: str = "note") -> None:
    """What PDF/UA asks of the tags and WeasyPrint leaves out: each table header cell says what
    it heads (/Scope): the column when it is in the table's head, its row otherwise; each
    footnote (a Note, see tagging.py) has an ID unique in the document (`prefix`-1, -2…), and
    stands beside its call instead of at the foot of the page. The calls and the notes are
    paired in reading order, so a piece of the paper (whose notes are its own) can be finished
    on its own."""
    root: PdfObject = out.Root.get("/StructTreeRoot")
    if root is not None:
        notes_beside_calls(root)
    todo: list[tuple[PdfObject, bool]] = [(root, False)] if root is not None else []
    notes = 0
    while todo:
        element, in_head = todo.pop()
        kind = element.get("/S")
        if kind == "/Note":
            notes += 1
            element.ID = pikepdf.String(f"{prefix}-{notes}")
        if kind == "/TH":
            attributes = element.get("/A")
            if not isinstance(attributes, pikepdf.Dictionary):
                attributes = pikepdf.Dictionary(O=pikepdf.Name.Table)
                element.A = attributes
            if "/Scope" not in attributes:
                attributes.Scope = pikepdf.Name.Column if in_head else pikepdf.Name.Row
        todo += [(child, in_head or kind == "/THead") for child in kids(element)]


def notes_beside_calls(root: PdfObject) -> None:
    """Each Note moved from the foot-of-page element WeasyPrint puts it in to just after the
    Reference that calls it (the n-th call in reading order calls the n-th note), so that a
    screen reader meets the note where it is called. Emptied foot-of-page elements go."""
    calls: list[tuple[PdfObject, PdfObject]] = []
    notes: list[tuple[PdfObject, PdfObject]] = []

    def walk(element: PdfObject) -> None:
        for child in kids(element):
            if child.get("/S") == "/Reference":
                calls.append((element, child))
            elif child.get("/S") == "/Note":
                notes.append((element, child))
                continue
            walk(child)

    walk(root)
    if not notes or len(calls) != len(notes) or not all(e.is_indirect for pair in calls + notes for e in pair):
        return  # not the tree WeasyPrint writes: left as it is
    for (holder, call), (foot, note) in zip(calls, notes, strict=True):
        foot.K = pikepdf.Array([k for k in kids(foot, every=True) if not same(k, note)])
        siblings = kids(holder, every=True)
        place = next(i for i, k in enumerate(siblings) if same(k, call))
        holder.K = pikepdf.Array([*siblings[:place + 1], note, *siblings[place + 1:]])
        note.P = holder
        if not kids(foot, every=True) and foot.get("/P") is not None:
            parent = foot.P
            parent.K = pikepdf.Array([k for k in kids(parent, every=True) if not same(k, foot)])


def kids(element: PdfObject, every: bool = False) -> list[PdfObject]:
    """An element's children: the structure elements only, or every kid (marked content too)."""
    found = element.get("/K")
    items = list(found) if isinstance(found, pikepdf.Array) else [found] if found is not None else []
    return items if every else [k for k in items if isinstance(k, pikepdf.Dictionary) and "/S" in k]


def same(a: PdfObject, b: PdfObject) -> bool:
    """Whether a kid is that (indirect) element."""
    return isinstance(a, pikepdf.Dictionary) and a.is_indirect and a.objgen == b.objgen
