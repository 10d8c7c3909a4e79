"""One copy of what every piece of a joined PDF repeats: its fonts and colour profiles.

Each piece WeasyPrint writes embeds a subset of every font it uses (only the glyphs it needs),
so a paper joined from sixty pieces would carry sixty copies of each font. WeasyPrint keeps
glyph ids when it subsets and names each font by a hash of the whole font, so the subsets of
one font can be joined into one: the glyphs any piece has, their widths (/W), and what text
they stand for (/ToUnicode, for copying and for screen readers). The file is then about the
size of a whole-document layout. Colour profiles (the same bytes in every piece) are simply
kept once.
"""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Iterator
from typing import Any

import pikepdf
from fontTools.ttLib import TTFont

from ... import fastjson
from ...cache import Cache

PdfObject = Any
"""A PDF object as pikepdf gives it: a dictionary, array or stream only known when read, which
pikepdf's type stubs cannot express."""

BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")
BFRANGE = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")
SECTION = re.compile(rb"begin(bfchar|bfrange)(.*?)end\1", re.S)
MAXP = ("maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours", "maxZones",
        "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
        "maxSizeOfInstructions", "maxComponentElements", "maxComponentDepth")


def share_fonts(pdf: pikepdf.Pdf, cache: Cache | None = None) -> None:
    """Replace the pieces' subsets of each font by one subset with all their glyphs. The joined
    font is kept in `cache` by the subsets it was made from: after an edit, most are the same."""
    holders: list[tuple[PdfObject, str, PdfObject]] = []
    groups: dict[str, dict[tuple[int, int], PdfObject]] = {}
    for fonts in font_dictionaries(pdf):
        for name, font in fonts.items():
            holders.append((fonts, name, font))
            descendant = font.get("/DescendantFonts", [None])[0]
            if font.get("/Subtype") == "/Type0" and descendant is not None \
                    and "/FontFile2" in descendant.get("/FontDescriptor", {}):
                group = groups.setdefault(str(font.BaseFont), {})
                group.setdefault(font.objgen, font)
    replaced = {}
    for group in groups.values():
        fonts = list(group.values())
        if len(fonts) > 1 and join_fonts(pdf, fonts, cache):
            replaced.update({font.objgen: fonts[0] for font in fonts[1:]})
    for fonts, name, font in holders:
        if font.objgen in replaced:
            fonts[name] = replaced[font.objgen]


def share_profiles(pdf: pikepdf.Pdf) -> None:
    """Colour spaces that name an ICC profile: one stream per distinct profile."""
    kept: dict[bytes, PdfObject] = {}

    def key(profile: PdfObject) -> bytes:
        return profile.read_raw_bytes() + repr(sorted(profile.stream_dict.items())).encode()

    for intent in pdf.Root.get("/OutputIntents", []):  # PDF/A names the profile there too
        if "/DestOutputProfile" in intent:
            kept.setdefault(key(intent.DestOutputProfile), intent.DestOutputProfile)

    def one(space: PdfObject) -> None:
        if isinstance(space, pikepdf.Array) and len(space) == 2 and space[0] == "/ICCBased":
            space[1] = kept.setdefault(key(space[1]), space[1])

    for resources in all_resources(pdf):
        for space in resources.get("/ColorSpace", {}).values():
            one(space)
        for xobject in resources.get("/XObject", {}).values():
            one(xobject.get("/ColorSpace"))


def font_dictionaries(pdf: pikepdf.Pdf) -> Iterator[PdfObject]:
    """Every /Font resource dictionary of the pages and of the forms they draw."""
    for resources in all_resources(pdf):
        if "/Font" in resources:
            yield resources.Font


def all_resources(pdf: pikepdf.Pdf) -> Iterator[PdfObject]:
    """The resource dictionaries of the pages and of the forms and patterns they draw."""
    seen, todo = set(), [page.obj.get("/Resources") for page in pdf.pages]
    while todo:
        resources = todo.pop()
        if resources is None or resources.is_indirect and resources.objgen in seen:
            continue
        seen.add(resources.objgen)
        yield resources
        for xobject in resources.get("/XObject", {}).values():
            todo.append(xobject.get("/Resources"))
        for pattern in resources.get("/Pattern", {}).values():
            todo.append(pattern.get("/Resources"))


def join_fonts(pdf: pikepdf.Pdf, fonts: list[PdfObject], cache: Cache | None = None) -> bool:
    """Make fonts[0] hold every glyph of `fonts`; False (nothing changed) if they do not fit."""
    key = Cache.key("joined-font", *(part for font in fonts for part in (
        program(font).read_raw_bytes(), repr(font.DescendantFonts[0].get("/W", [])),
        font.ToUnicode.read_raw_bytes() if "/ToUnicode" in font else b""))) if cache else ""
    stored = cache.get(key) if cache else None
    if stored is not None:
        made = fastjson.loads(stored)
        if made is None:
            return False
        data, width_list, text = bytes.fromhex(made[0]), made[1], made[2].encode("latin-1")
    else:
        joined = joined_font(fonts)
        if cache:
            cache.put(key, fastjson.dumpb(None if joined is None else
                                          [joined[0].hex(), joined[1], joined[2].decode("latin-1")]))
        if joined is None:
            return False
        data, width_list, text = joined
    descendant = fonts[0].DescendantFonts[0]
    descendant.FontDescriptor.FontFile2 = pdf.make_stream(data, Length1=len(data))
    descendant.W = pikepdf.Array(width_list)
    fonts[0].ToUnicode = pdf.make_stream(text)
    return True


def joined_font(fonts: list[PdfObject]) -> tuple[bytes, list[Any], bytes] | None:
    """One font program with every glyph of `fonts`, its widths (/W) and its /ToUnicode CMap;
    None if they do not fit together."""
    programs = [TTFont(io.BytesIO(program(font).read_bytes()), lazy=True, recalcBBoxes=False,
                       recalcTimestamp=False) for font in fonts]
    used = [widths(font.DescendantFonts[0].get("/W", [])) for font in fonts]
    highest = [max(found, default=0) for found in used]
    base = programs[highest.index(max(highest))]
    order = list(base.getGlyphOrder())
    for other, top, found in zip(programs, highest, used, strict=True):
        if other is base:
            continue
        if other["head"].unitsPerEm != base["head"].unitsPerEm:
            return None
        add_glyphs(base, order, other, top, sorted(found))
        widen(base, other)
    base.setGlyphOrder(order)
    base["glyf"].setGlyphOrder(order)
    base["maxp"].numGlyphs = len(order)
    data = io.BytesIO()
    base.save(data)
    return data.getvalue(), widths_list(merged(used)), to_unicode(merged(unicode_map(font) for font in fonts))


def add_glyphs(base: TTFont, order: list[str], other: TTFont, top: int, wanted: list[int]) -> None:
    """Copy into `base` the glyphs `wanted` of `other` that it lacks.

    WeasyPrint keeps each glyph's id up to the highest one a piece uses (`top`); the parts of
    accented letters (a tilde) that lie beyond are renumbered after it, differently in each
    piece. So glyphs are copied by id up to `top`, and parts beyond it are added as new glyphs
    (at the end of `order`) for the letters copied here to point to.
    """
    names, glyphs, metrics = other.getGlyphOrder(), base["glyf"].glyphs, base["hmtx"].metrics
    added: dict[int, str] = {}

    def take(gid: int) -> str:
        """The name in `base` of the glyph `gid` of `other`, copied if need be."""
        if gid > top:
            if gid not in added:
                added[gid] = f"paper.{len(order)}"
                order.append(added[gid])
                copy_glyph(gid, added[gid])
            return added[gid]
        if not raw_size(glyphs[order[gid]]) and raw_size(other["glyf"].glyphs[names[gid]]):
            copy_glyph(gid, order[gid])
        return order[gid]

    def copy_glyph(gid: int, name: str) -> None:
        glyph = other["glyf"][names[gid]]  # decoded; a letter's parts named as in `other`
        if glyph.isComposite():
            glyph = copy.deepcopy(glyph)
            for component in glyph.components:
                component.glyphName = take(other.getGlyphID(component.glyphName))
        glyphs[name] = glyph
        metrics[name] = other["hmtx"].metrics[names[gid]]

    for gid in wanted:
        if gid <= top:
            take(gid)
    for table in other["cmap"].tables:
        mine = base["cmap"].getcmap(table.platformID, table.platEncID)
        if mine is not None:
            for code, name in table.cmap.items():
                if other.getGlyphID(name) <= top:
                    mine.cmap.setdefault(code, order[other.getGlyphID(name)])


def program(font: PdfObject) -> PdfObject:
    return font.DescendantFonts[0].FontDescriptor.FontFile2


def raw_size(glyph) -> int:
    """How many bytes describe the glyph (0: an empty glyph), without decoding it."""
    return len(glyph.data) if hasattr(glyph, "data") else glyph.numberOfContours != 0


def widen(base: TTFont, other: TTFont) -> None:
    """Limits that hold for every glyph (maxp, bounding boxes) hold for the joined glyphs."""
    for field in MAXP:
        if hasattr(base["maxp"], field):
            setattr(base["maxp"], field, max(getattr(base["maxp"], field), getattr(other["maxp"], field)))
    for field, pick in (("xMin", min), ("yMin", min), ("xMax", max), ("yMax", max)):
        setattr(base["head"], field, pick(getattr(base["head"], field), getattr(other["head"], field)))
    for field, pick in (("advanceWidthMax", max), ("minLeftSideBearing", min), ("minRightSideBearing", min),
                        ("xMaxExtent", max)):
        setattr(base["hhea"], field, pick(getattr(base["hhea"], field), getattr(other["hhea"], field)))


def merged(maps) -> dict:
    found: dict[Any, Any] = {}
    for mapping in maps:
        for key, value in mapping.items():
            found.setdefault(key, value)
    return found


def widths(array) -> dict[int, float]:
    """A /W array ([first [w w …] first last w …]) as glyph id → width."""
    found, items, i = {}, list(array), 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], pikepdf.Array):
            found.update({first + n: float(w) for n, w in enumerate(items[i + 1])})
            i += 2
        else:
            found.update({gid: float(items[i + 2]) for gid in range(first, int(items[i + 1]) + 1)})
            i += 3
    return found


def widths_list(found: dict[int, float]) -> list[Any]:
    """Glyph id → width as a /W array: [first [w w …] first [w …] …]."""
    array: list[Any] = []
    run: list[Any] = []
    for gid in sorted(found):
        if run and gid != run[0] + len(run[1]):
            array += run
            run = []
        run = run or [gid, []]
        run[1].append(int(found[gid]) if found[gid].is_integer() else found[gid])
    return array + run


def unicode_map(font: PdfObject) -> dict[int, bytes]:
    """A /ToUnicode CMap as glyph id → UTF-16BE hex."""
    found: dict[int, bytes] = {}
    if "/ToUnicode" not in font:
        return found
    for kind, body in SECTION.findall(font.ToUnicode.read_bytes()):
        if kind == b"bfchar":
            found.update({int(code, 16): text for code, text in BFCHAR.findall(body)})
        else:
            for first, last, text in BFRANGE.findall(body):
                start = int(text, 16)
                found.update({code: b"%04x" % (start + code - int(first, 16))
                              for code in range(int(first, 16), int(last, 16) + 1)})
    return found


def to_unicode(found: dict[int, bytes]) -> bytes:
    lines = []
    codes = sorted(found)
    for start in range(0, len(codes), 100):  # at most 100 entries a section
        chunk = codes[start:start + 100]
        lines.append(b"%d beginbfchar" % len(chunk))
        lines += [b"<%04x> <%s>" % (code, found[code]) for code in chunk]
        lines.append(b"endbfchar")
    return (b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo\n"
            b"<< /Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n/CMapName /Adobe-Identity-UCS def\n"
            b"/CMapType 2 def\n1 begincodespacerange\n<0000> <ffff>\nendcodespacerange\n"
            + b"\n".join(lines) + b"\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend")
