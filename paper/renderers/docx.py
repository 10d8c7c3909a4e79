"""DOCX: a reviewer's copy of the paper in Word, from the assembled paper by pandoc's docx
writer, in Word styles that carry the paper's design (a reference document made here from the
paper's fonts and colours, unless the project has its own `templates/reference.docx`).

What reviewers get: a title page (title, subtitle, authors, date, abstract), a table of contents
field (Word fills it when the file is opened), the chapters with their numbers, figures and
tables numbered as in the PDF and cross-references as links to them, footnotes, the references,
the document properties (title, authors, language, keywords) and, with --draft, DRAFT with the
version and the date in every page's header. Comments and tracked changes they make are read
back by `paper review` (paper/review.py).
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from functools import cache
from html import escape
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import tinycss2

from .. import pandoc
from ..cache import Cache, file_digest
from ..diagnostics import error
from ..errors import UserError
from ..labels import labels_for
from ..model import Artifact, Manuscript, PaperMeta
from ..records import plain_text
from ..tree import rewritten
from . import long_date
from .registry import EditionJob

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TEMPLATES = Path(__file__).parent.parent / "templates"
SHIPPED_FONTS = {"Paper Serif": "Noto Serif", "Paper Sans": "Noto Sans", "Paper Mono": "Noto Sans Mono"}
"""The names the PDF's stylesheet gives the fonts shipped with the tool, and the fonts' own
names, which Word knows (and replaces with a similar font where they are not installed)."""
MAX_REFERENCE_BYTES = 20_000_000
HEADINGS = ("Heading1", "Heading2", "Heading3", "Heading4", "Heading5", "Heading6", "Title", "Subtitle",
            "TOCHeading", "ImageCaption", "TableCaption", "Caption")
"""The styles in the paper's heading font; the rest of the text is in its body font."""


def render_docx(job: EditionJob) -> Artifact:
    manuscript, context = job.manuscript, job.context
    paper = manuscript.paper
    target = job.staging / f"{paper.slug}.docx"
    media = job.staging / "docx-media"
    media.mkdir(exist_ok=True)
    reference = media / "reference.docx"
    own = paper.templates / "reference.docx" if paper.templates else None
    if own is not None and own.is_file():
        check_reference(own)
        shutil.copyfile(own, reference)
    else:
        reference.write_bytes(reference_doc(design(paper.templates), paper.meta.language, draft_line(manuscript)
                                            if context.draft else ""))
    images = sorted(set(manuscript.images))
    drawn = {src: f"{src}.png" for src in images if src.lower().endswith(".svg")}

    def prepare() -> None:
        for src in images:
            (media / src).parent.mkdir(parents=True, exist_ok=True)
            if src in drawn:
                (media / drawn[src]).write_bytes(rasterised(paper.root, src, context.cache))
            else:
                shutil.copyfile(paper.root / src, media / src)

    document = {**manuscript.document(), "meta": metadata(manuscript)}
    document["blocks"] = for_word(document["blocks"], drawn)
    pandoc.run_binary(["--to=docx", "--toc", "--toc-depth=2", f"--reference-doc={reference}",
                       f"--resource-path={media}"], document, media, context.source_date_epoch, target,
                      cache=context.cache, depends=tuple(paper.root / src for src in images), prepare=prepare)
    return Artifact("docx", target)


def metadata(manuscript: Manuscript) -> dict[str, Any]:
    """The title page and the document properties: plain strings, never read again as Markdown."""
    meta: PaperMeta = manuscript.paper.meta

    def text(value: str) -> dict[str, Any]:
        return {"t": "MetaString", "c": value}

    values: dict[str, Any] = {
        "title": text(meta.title),
        "author": {"t": "MetaList", "c": [text(a.name) for a in meta.authors]},
        "date": text(long_date(meta.date, meta.language)),
        "lang": text(meta.language),
        "toc-title": text(labels_for(meta.language)["contents"]),
    }
    if meta.subtitle:
        values["subtitle"] = text(meta.subtitle)
    if manuscript.abstract_html:
        values["abstract"] = values["description"] = text(plain_text(manuscript.abstract_html))
    if meta.keywords:  # pandoc's docx writer joins inlines, not strings, into the keywords property
        values["keywords"] = {"t": "MetaList", "c": [{"t": "MetaInlines", "c": [{"t": "Str", "c": k}]}
                                                     for k in meta.keywords]}
    if meta.publisher:
        values["publisher"] = text(meta.publisher)
    if meta.license:
        values["rights"] = text(meta.license)
    return values


PAGE_ANCHOR = re.compile(r"pb-\d+-\d+")
"""The ids of the anchors where the PDF's pages begin (assemble.with_page_anchors)."""
ASIDE_STYLES = {"box": "Box", "callout": "Box", "box-title": "Box Title", "callout-title": "Box Title"}
"""Word paragraph styles for the paper's boxes and callouts and their titles (custom-style, which
pandoc's docx writer gives every paragraph inside a div)."""


def for_word(blocks: list[Any], drawn: dict[str, str]) -> list[Any]:
    """The paper's blocks as the Word copy has them, in one pass: without the anchors that mark
    where the PDF's pages begin (Word has pages of its own; a paragraph that held only an anchor
    would be an empty one), each drawing's picture (`drawn`: its PNG) in its place, and each box
    and callout, and its title, in a paragraph style of its own."""
    def page_anchor(node: Any) -> bool:
        return node.get("t") == "Span" and not node["c"][1] and bool(PAGE_ANCHOR.fullmatch(node["c"][0][0]))

    def change(node: dict[str, Any]) -> Any:
        kind = node["t"]
        if page_anchor(node) or (kind in ("Para", "Plain") and node["c"] and all(page_anchor(i) for i in node["c"])):
            return []
        if kind == "Image" and node["c"][2][0] in drawn:
            attr, inlines, (src, title) = node["c"]
            return {"t": "Image", "c": [attr, inlines, [drawn[src], title]]}
        if kind == "Div" and (style := next((ASIDE_STYLES[c] for c in node["c"][0][1] if c in ASIDE_STYLES), None)):
            ident, classes, attrs = node["c"][0]
            return {"t": "Div", "c": [[ident, classes, [*[a for a in attrs if a[0] != "custom-style"],
                                                         ["custom-style", style]]], node["c"][1]]}
        return None

    return rewritten(blocks, change)


SVG_WIDTH = 1600
"""Pixels across a drawing (SVG) made into a picture for Word, which needs one beside the drawing
(older Word and other programs show only the picture; pandoc would need rsvg-convert to make it)."""


def rasterised(root: Path, src: str, cache: Cache | None) -> bytes:
    """An SVG drawing of the project as a PNG, drawn by WeasyPrint (reading nothing outside the
    project) and rasterised by PDFium; kept in the cache by the drawing's bytes."""
    key = Cache.key("docx-svg", str(SVG_WIDTH), file_digest(root / src))
    if cache is not None and (kept := cache.get(key)) is not None:
        return kept
    data = (root / src).read_bytes()
    import pypdfium2
    import weasyprint

    from .pdf import ProjectFetcher

    width, height = proportions(data)
    page_width = 160.0
    html = (f"<style>@page {{ size: {page_width}mm {page_width * height / width:.3f}mm; margin: 0 }} "
            "html, body { margin: 0 } img { display: block; width: 100%; height: 100% }</style>"
            f'<img src="{escape(src, quote=True)}" alt="">')
    pdf = weasyprint.HTML(string=html, base_url=str(root) + "/", url_fetcher=ProjectFetcher(root)).write_pdf()
    page = pypdfium2.PdfDocument(pdf)[0]
    picture = page.render(scale=SVG_WIDTH / page.get_width()).to_pil()
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    if cache is not None:
        cache.put(key, out.getvalue())
    return out.getvalue()


def proportions(svg: bytes) -> tuple[float, float]:
    """A drawing's width and height in its own units: its viewBox, else its width and height."""
    try:
        root = ElementTree.fromstring(svg)
    except ElementTree.ParseError:
        return 4.0, 3.0
    box = (root.get("viewBox") or "").replace(",", " ").split()
    try:
        if len(box) == 4 and float(box[2]) > 0 and float(box[3]) > 0:
            return float(box[2]), float(box[3])
        width, height = (float(re.sub(r"[a-z%]+$", "", root.get(n) or "")) for n in ("width", "height"))
        if width > 0 and height > 0:
            return width, height
    except ValueError:
        pass
    return 4.0, 3.0


def draft_line(manuscript: Manuscript) -> str:
    """What --draft prints at the top of every page, as the PDF prints it at the foot."""
    meta = manuscript.paper.meta
    parts = ["DRAFT", f"version {meta.version}" if meta.version else "", long_date(meta.date, meta.language)]
    return " · ".join(p for p in parts if p)


# -- the design ------------------------------------------------------------------------------------

def design(templates: Path | None) -> dict[str, str]:
    """The paper's body font, heading font and accent colour, read from its stylesheets (the
    project's own fonts.css and pdf.css where it has them): {"serif", "sans", "accent"}."""
    found = {"serif": "Noto Serif", "sans": "Noto Sans", "accent": "0B4F6C"}
    for name in ("fonts.css", "pdf.css"):
        path = templates / name if templates and (templates / name).is_file() else TEMPLATES / name
        for key, value in custom_properties(path.read_text(encoding="utf-8")).items():
            if key in ("serif", "sans") and value:
                found[key] = SHIPPED_FONTS.get(value, value)
            elif key == "accent" and re.fullmatch(r"#[0-9a-fA-F]{6}", value):
                found["accent"] = value[1:].upper()
    return found


def custom_properties(css: str) -> dict[str, str]:
    """The custom properties (--serif, --accent) set in a stylesheet's :root rules, each as its
    first font family name or its colour, parsed (a Jinja template's tags are skipped as text)."""
    out = {}
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type != "qualified-rule" or tinycss2.serialize(rule.prelude).strip() != ":root":
            continue
        for declaration in tinycss2.parse_declaration_list(rule.content, skip_comments=True, skip_whitespace=True):
            if declaration.type != "declaration" or not declaration.name.startswith("--"):
                continue
            first = next((t for t in declaration.value if t.type not in ("whitespace", "comment")), None)
            if first is not None and first.type in ("string", "hash", "ident"):
                out[declaration.name[2:]] = ("#" if first.type == "hash" else "") + first.value
    return out


@cache
def default_reference() -> bytes:
    return pandoc.data_file("reference.docx")


def reference_doc(look: dict[str, str], language: str, draft: str) -> bytes:
    """pandoc's reference document with the paper's fonts, accent colour and language in its
    styles and, for a draft, the draft line in its page header."""
    ElementTree.register_namespace("w", W)
    ElementTree.register_namespace("r", R)
    source = zipfile.ZipFile(io.BytesIO(default_reference()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/styles.xml":
                data = styled(data, look, language)
            elif info.filename == "word/document.xml" and draft:
                data = with_header_reference(data)
            elif info.filename == "word/_rels/document.xml.rels" and draft:
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdPaperDraft" Type="http://schemas.'
                                    b'openxmlformats.org/officeDocument/2006/relationships/header" '
                                    b'Target="paperdraft.xml"/></Relationships>')
            elif info.filename == "[Content_Types].xml" and draft:
                data = data.replace(b"</Types>", b'<Override PartName="/word/paperdraft.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/></Types>')
            target.writestr(fixed(info), data)
        if draft:
            header = ElementTree.Element(f"{{{W}}}hdr")
            paragraph = ElementTree.SubElement(header, f"{{{W}}}p")
            properties = ElementTree.SubElement(paragraph, f"{{{W}}}pPr")
            ElementTree.SubElement(properties, f"{{{W}}}jc", {f"{{{W}}}val": "center"})
            run = ElementTree.SubElement(paragraph, f"{{{W}}}r")
            run_properties = ElementTree.SubElement(run, f"{{{W}}}rPr")
            ElementTree.SubElement(run_properties, f"{{{W}}}b")
            ElementTree.SubElement(run_properties, f"{{{W}}}color", {f"{{{W}}}val": "B3261E"})
            ElementTree.SubElement(run, f"{{{W}}}t").text = draft
            target.writestr(fixed(zipfile.ZipInfo("word/paperdraft.xml")),
                            ElementTree.tostring(header, xml_declaration=True, encoding="UTF-8"))
    return out.getvalue()


def fixed(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A zip entry dated 1980: the reference document is the same bytes on every build."""
    entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
    entry.compress_type = zipfile.ZIP_DEFLATED
    return entry


def styled(data: bytes, look: dict[str, str], language: str) -> bytes:
    """styles.xml with the body font as the default, the heading font and the accent colour on
    the headings, title and captions, and the paper's language as the proofing language."""
    root = ElementTree.fromstring(data)
    w = f"{{{W}}}"
    defaults = root.find(f"{w}docDefaults/{w}rPrDefault/{w}rPr")
    if defaults is not None:
        set_fonts(defaults, look["serif"])
        lang = defaults.find(f"{w}lang")
        if lang is not None:
            lang.set(f"{w}val", language)
    for style in root.findall(f"{w}style"):
        if style.get(f"{w}styleId") == "Heading1":  # each chapter on a new page, as in the PDF
            paragraph = style.find(f"{w}pPr")
            if paragraph is None:
                paragraph = ElementTree.SubElement(style, f"{w}pPr")
            if paragraph.find(f"{w}pageBreakBefore") is None:  # after these three, in the schema's order
                before = sum(1 for child in paragraph if child.tag in (f"{w}pStyle", f"{w}keepNext", f"{w}keepLines"))
                paragraph.insert(before, ElementTree.Element(f"{w}pageBreakBefore"))
        if style.get(f"{w}styleId") not in HEADINGS:
            continue
        properties = style.find(f"{w}rPr")
        if properties is None:
            properties = ElementTree.SubElement(style, f"{w}rPr")
        set_fonts(properties, look["sans"])
        if style.get(f"{w}styleId", "").startswith(("Heading", "Title", "TOC")):
            color = properties.find(f"{w}color")
            if color is None:  # where the schema puts it: after these, before the size and the rest
                color = ElementTree.Element(f"{w}color")
                properties.insert(sum(1 for child in properties if child.tag in BEFORE_COLOR), color)
            for attribute in list(color.attrib):
                del color.attrib[attribute]
            color.set(f"{w}val", look["accent"])
    for style_id, name, title in (("Box", "Box", False), ("BoxTitle", "Box Title", True)):
        root.append(aside_style(style_id, name, title, look))
    return ElementTree.tostring(root, xml_declaration=True, encoding="UTF-8")


def aside_style(style_id: str, name: str, title: bool, look: dict[str, str]) -> ElementTree.Element:
    """A paragraph style for a box (shaded, a rule of the accent colour on its left, as in the
    PDF) or for a box's title (the same, in the heading font, bold and in the accent colour)."""
    w = f"{{{W}}}"
    style = ElementTree.Element(f"{w}style", {f"{w}type": "paragraph", f"{w}customStyle": "1",
                                              f"{w}styleId": style_id})
    ElementTree.SubElement(style, f"{w}name", {f"{w}val": name})
    ElementTree.SubElement(style, f"{w}basedOn", {f"{w}val": "BodyText"})
    if title:
        ElementTree.SubElement(style, f"{w}next", {f"{w}val": "Box"})
    ElementTree.SubElement(style, f"{w}qFormat")
    paragraph = ElementTree.SubElement(style, f"{w}pPr")
    if title:
        ElementTree.SubElement(paragraph, f"{w}keepNext")
    borders = ElementTree.SubElement(paragraph, f"{w}pBdr")
    ElementTree.SubElement(borders, f"{w}left", {f"{w}val": "single", f"{w}sz": "18", f"{w}space": "8",
                                                 f"{w}color": look["accent"]})
    ElementTree.SubElement(paragraph, f"{w}shd", {f"{w}val": "clear", f"{w}color": "auto",
                                                  f"{w}fill": light(look["accent"])})
    ElementTree.SubElement(paragraph, f"{w}spacing", {f"{w}before": "0", f"{w}after": "0"})
    ElementTree.SubElement(paragraph, f"{w}ind", {f"{w}left": "284", f"{w}right": "284"})
    if title:
        run = ElementTree.SubElement(style, f"{w}rPr")
        set_fonts(run, look["sans"])
        ElementTree.SubElement(run, f"{w}b")
        ElementTree.SubElement(run, f"{w}color", {f"{w}val": look["accent"]})
    return style


def light(colour: str) -> str:
    """The accent colour mixed with nine parts of white: a box's shading."""
    channels = [int(colour[i:i + 2], 16) for i in (0, 2, 4)]
    return "".join(f"{round(c + (255 - c) * 0.9):02X}" for c in channels)


BEFORE_COLOR = {f"{{{W}}}{name}" for name in (
    "rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike", "outline", "shadow",
    "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden")}


def set_fonts(properties: ElementTree.Element, family: str) -> None:
    w = f"{{{W}}}"
    fonts = properties.find(f"{w}rFonts")
    if fonts is None:
        fonts = ElementTree.Element(f"{w}rFonts")
        properties.insert(0, fonts)
    for attribute in list(fonts.attrib):
        del fonts.attrib[attribute]
    for name in ("ascii", "hAnsi", "cs", "eastAsia"):
        fonts.set(f"{w}{name}", family)


def with_header_reference(data: bytes) -> bytes:
    """document.xml whose section properties use the draft header on every page."""
    root = ElementTree.fromstring(data)
    w = f"{{{W}}}"
    for section in root.iter(f"{w}sectPr"):
        for old in section.findall(f"{w}headerReference"):
            section.remove(old)
        section.insert(0, ElementTree.Element(f"{w}headerReference", {f"{w}type": "default",
                                                                       f"{{{R}}}id": "rIdPaperDraft"}))
    return ElementTree.tostring(root, xml_declaration=True, encoding="UTF-8")


def check_reference(path: Path) -> None:
    """A project's reference.docx: a Word file of a sane size (pandoc takes its styles)."""
    if path.stat().st_size > MAX_REFERENCE_BYTES or not zipfile.is_zipfile(path):
        raise UserError([error(Path("templates/reference.docx"), 0, "template",
                               "this is not a Word file (or is over 20 MB): save a Word document with the styles "
                               "the paper should use as templates/reference.docx")])
    with zipfile.ZipFile(path) as archive:
        if "word/styles.xml" not in archive.namelist():
            raise UserError([error(Path("templates/reference.docx"), 0, "template",
                                   "this Word file has no styles: make it from a document saved by Word")])
