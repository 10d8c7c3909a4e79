"""What two PDFs of the same paper must agree on: the whole-document layout and the one laid out
piece by piece. Used by tests/test_pieces.py."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pypdf


def summary(path: Path) -> dict:
    """Text, page labels, outline, links, destinations, tag tree and metadata, with page
    objects replaced by page numbers and coordinates rounded."""
    reader = pypdf.PdfReader(path)
    with pikepdf.open(path) as pdf:
        index = {page.objgen: i for i, page in enumerate(pdf.pages)}
        return {
            "pages": len(pdf.pages),
            "text": [page.extract_text() for page in reader.pages],
            "labels": list(reader.page_labels),
            "outline": outline(pdf.Root.get("/Outlines", {}).get("/First"), index, 0),
            "links": [[link(a, index) for a in page.obj.get("/Annots", [])] for page in pdf.pages],
            "destinations": destinations(pdf, index),
            "tags": tags(pdf, index),
            "info": {str(k): str(v) for k, v in pdf.docinfo.items()},
            "xmp": str(pdf.Root.Metadata.read_bytes()) if "/Metadata" in pdf.Root else "",
            "catalog": sorted(str(k) for k in pdf.Root.keys()),
            "lang": str(pdf.Root.get("/Lang")),
        }


def point(dest, index) -> list:
    return [index[dest[0].objgen], str(dest[1]), *(round(float(v), 1) for v in dest[2:4])]


def outline(item, index, depth) -> list:
    found = []
    while item is not None:
        found.append([depth, str(item.Title), point(item.Dest, index), int(item.get("/Count", 0))])
        found += outline(item.get("/First"), index, depth + 1)
        item = item.get("/Next")
    return found


def link(annotation, index) -> list:
    target = str(annotation.get("/Dest")) if "/Dest" in annotation else str(annotation.A.URI)
    return [[round(float(v), 1) for v in annotation.Rect], target, str(annotation.get("/Contents"))]


def destinations(pdf, index) -> list:
    names = pdf.Root.get("/Names", {}).get("/Dests", {}).get("/Names", [])
    return [[str(names[i]), point(names[i + 1], index)] for i in range(0, len(names), 2)]


def tags(pdf, index) -> list:
    """The tag tree depth first: type, page, marked-content ids, alternative text; and, for
    every page and link, what the parent tree says owns its content."""
    found, order = [], {}

    def walk(element, depth):
        if isinstance(element, int) or not isinstance(element, pikepdf.Dictionary):
            return
        if element.get("/Type") == "/OBJR":
            found.append([depth, "OBJR", index.get(element.Pg.objgen)])
            return
        order[element.objgen] = len(order)
        page = index.get(element.Pg.objgen) if "/Pg" in element else None
        kids = element.get("/K")
        kids = list(kids) if isinstance(kids, pikepdf.Array) else [] if kids is None else [kids]
        found.append([depth, str(element.S), page, [int(k) for k in kids if isinstance(k, int)],
                      str(element.get("/Alt", "")), str(element.get("/Lang", ""))])
        for kid in kids:
            walk(kid, depth + 1)

    walk(pdf.Root.StructTreeRoot.K[0], 0)
    numbers = pdf.Root.StructTreeRoot.ParentTree.Nums
    owners = {}
    for i in range(0, len(numbers), 2):
        value = numbers[i + 1]
        owners[int(numbers[i])] = ([order.get(e.objgen) for e in value] if isinstance(value, pikepdf.Array)
                                   else order.get(value.objgen))
    pages = [owners.get(int(page.StructParents)) for page in pdf.pages]
    links = [[owners.get(int(a.StructParent)) for a in page.obj.get("/Annots", [])] for page in pdf.pages]
    return [found, pages, links]


def differences(first: Path, second: Path) -> list[str]:
    a, b = summary(first), summary(second)
    found = []
    for key in a:
        if a[key] != b[key]:
            if isinstance(a[key], list) and isinstance(b[key], list) and len(a[key]) == len(b[key]):
                at = next(i for i, (x, y) in enumerate(zip(a[key], b[key], strict=True)) if x != y)
                found.append(f"{key}[{at}]: {str(a[key][at])[:300]} != {str(b[key][at])[:300]}")
            else:
                found.append(f"{key}: {str(a[key])[:300]} != {str(b[key])[:300]}")
    return found
