"""EPUB 3: pandoc's EPUB writer fed the assembled paper, then finished here: the PDF's page
numbers as a page list, landmarks, and the series and accessibility metadata."""

from __future__ import annotations

import functools
import logging
import re
import shutil
import uuid
import zipfile
from html import escape, unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from .. import pandoc
from ..labels import labels_for
from ..licenses import license_statement
from ..model import Artifact, BuildContext, Manuscript, PaperMeta
from ..records import plain_text
from ..sanitize import ATTR_POSITION
from ..tree import images, walk
from . import numbered_lists, template_environment, template_values
from .registry import EditionJob

log = logging.getLogger(__name__)
STYLESHEET = Path(__file__).parent.parent / "templates" / "epub.css"


def render_epub(job: EditionJob) -> Artifact:
    """pandoc's EPUB of the paper, made while the PDF is laid out, then finished with the
    PDF's page numbers."""
    cover = job.need("cover").path
    target = make_epub(job.manuscript, job.context, job.staging, cover)
    paper = job.manuscript.paper
    finish(target, paper.meta, job.need("pdf").data, bool(job.manuscript.images), labels_for(paper.meta.language))
    return Artifact("epub", target)


def make_epub(manuscript: Manuscript, context: BuildContext, staging: Path, cover: Path | None) -> Path:
    """pandoc's EPUB of the paper, written chapter by chapter so that an edit makes pandoc
    write one chapter again, not the book (`spliced`)."""
    front = front_blocks(manuscript, context) + list_blocks(numbered_lists(manuscript))
    units = [with_chapter_types(with_figure_anchors(list(chapter.blocks))) for chapter in manuscript.chapters]
    target = staging / f"{manuscript.paper.slug}.epub"
    write = functools.partial(write_epub, manuscript, context, cover)
    targets = {node["c"][2][0][1:] for node in walk([front, units]) if node["t"] == "Link"
               and node["c"][2][0].startswith("#")}
    stubs = [stub(unit, targets) for unit in units]
    write(front + [block for unit in stubs for block in unit], staging / "epub-media", staging / "epub-skeleton.epub")
    written = []
    for k, unit in enumerate(units):
        written.append(staging / f"epub-chapter-{k}.epub")
        write(front + [b for j, other in enumerate(stubs) for b in (unit if j == k else other)],
              staging / f"epub-media-{k}", written[-1], set(images(unit)))
    offset = sum(1 for block in front if is_part_heading(block))
    counts = [sum(1 for block in unit if is_part_heading(block)) for unit in units]
    if not spliced(staging / "epub-skeleton.epub", written, offset, counts, target):
        log.warning("epub: the chapters written one by one do not fit the book; pandoc writes it whole")
        write(front + [b for unit in units for b in unit], staging / "epub-media", target)
    return target


def write_epub(manuscript: Manuscript, context: BuildContext, cover: Path | None, blocks: list[Any],
               media: Path, target: Path, own: set[str] | None = None) -> None:
    """pandoc's EPUB writer on these blocks, with the paper's metadata and stylesheet. pandoc's
    EPUB writer reads the images itself, so it runs outside pandoc's sandbox, in `media`: a
    folder holding copies of the images the chapters' trees approved and nothing else, or, with
    `own`, copies of those alone and empty stand-ins for the others (a chapter's run, whose
    other chapters' images are not kept)."""
    paper = manuscript.paper
    every = sorted(set(manuscript.images))
    real = every if own is None else [src for src in every if src in own]

    def prepare() -> None:
        media.mkdir(exist_ok=True)
        for src in every:
            (media / src).parent.mkdir(parents=True, exist_ok=True)
            if src in real:
                shutil.copyfile(paper.root / src, media / src)
            else:
                (media / src).write_bytes(b"")

    document = {**manuscript.document(()), "blocks": blocks,
                "meta": epub_metadata(paper.meta, plain_text(manuscript.abstract_html))}
    stylesheet = paper.templates / "epub.css" if paper.templates else None
    if stylesheet is None or not stylesheet.is_file():
        stylesheet = STYLESHEET
    pandoc.run_binary(["--to=epub3", "--mathml", "--toc", "--toc-depth=2", "--split-level=1",
                       "--epub-title-page=false",
                       f"--css={stylesheet.resolve()}", f"--resource-path={media}",
                       *([f"--epub-cover-image={cover.resolve()}"] if cover else [])],
                      document, media, context.source_date_epoch, target, cache=context.cache,
                      depends=tuple(paper.root / src for src in real), prepare=prepare)


def is_part_heading(block: dict[str, Any]) -> bool:
    """A level-1 heading: pandoc's EPUB writer begins a file of its own at each (--split-level=1)."""
    return block["t"] == "Header" and block["c"][0] == 1


def stub(blocks: list[Any], targets: set[str]) -> list[Any]:
    """What the book's other files need of a chapter, for pandoc to write them as it would in
    the whole book: its headings (the contents), each id in it that a link leads to (`targets`)
    as an empty span, so that a link from elsewhere leads into its file, and its images in order
    (pandoc names the files it packs by the order it meets them). An edit to a chapter's text
    leaves its stub, and so every other chapter's run, as it was."""
    out: list[Any] = []
    anchors: list[Any] = []
    for block in blocks:
        if block["t"] == "Header":
            out.append(block)
            continue
        for node in walk(block):
            kind = node["t"]
            if kind in ATTR_POSITION and isinstance(node["c"], list) and node["c"][ATTR_POSITION[kind]][0] in targets:
                anchors.append({"t": "Span", "c": [[node["c"][ATTR_POSITION[kind]][0], [], []], []]})
            if kind == "Image":
                anchors.append({"t": "Image", "c": [["", [], []], [], [node["c"][2][0], ""]]})
    return out + ([{"t": "Para", "c": anchors}] if anchors else [])


CHAPTER_FILE = re.compile(r"^EPUB/text/ch(\d+)\.xhtml$")


def spliced(skeleton: Path, chapters: list[Path], offset: int, counts: list[int], target: Path) -> bool:
    """The book pandoc would write whole, from the skeleton (every chapter a stub) and each
    chapter's own run: the skeleton's files but each chapter's files from its run, with the
    properties its run gave them in the package (MathML, SVG). False if the files do not
    match what the headings say (then the book is written whole)."""
    with zipfile.ZipFile(skeleton) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    names = {info.filename: n for info, _data in entries if (n := CHAPTER_FILE.match(info.filename))}
    if len(names) != offset + sum(counts):
        return False
    replaced: dict[str, bytes] = {}
    package = next(data for info, data in entries if info.filename == "EPUB/content.opf").decode("utf-8")
    start = offset
    for run, count in zip(chapters, counts, strict=True):
        with zipfile.ZipFile(run) as source:
            own = {name: source.read(name) for name in source.namelist()}
        run_package = own["EPUB/content.opf"].decode("utf-8")
        for number in range(start + 1, start + count + 1):
            name = f"EPUB/text/ch{number:03d}.xhtml"
            if name not in own or name not in names:
                return False
            replaced[name] = own[name]
            item = re.compile(rf'<item id="ch{number:03d}_xhtml"[^>]*/>')
            found, kept = item.search(run_package), item.search(package)
            if not found or not kept:
                return False
            package = package[:kept.start()] + found.group(0) + package[kept.end():]
        start += count
    replaced["EPUB/content.opf"] = package.encode("utf-8")
    with zipfile.ZipFile(target, "w") as out:
        for info, data in entries:
            out.writestr(info, replaced.get(info.filename, data))
    return True


LIST_TYPES = {"figures": "loi", "tables": "lot", "boxes": ""}
"""The EPUB structural semantics of each list (EPUB SSV: list of illustrations, of tables)."""
CHAPTER_TYPES = {"front-matter": "preamble", "appendix": "appendix", "references": "bibliography",
                 "part": "part"}
"""What each kind of chapter is for a reading system; a chapter is bodymatter unless listed."""
ROLES = {"abstract": "doc-abstract", "bibliography": "doc-bibliography", "appendix": "doc-appendix",
         "part": "doc-part"}
"""The ARIA role (DPUB-ARIA) matching an EPUB type, for assistive technologies that read roles."""


def text(words: str) -> list[Any]:
    """Plain text as pandoc inlines."""
    out: list[Any] = []
    for i, word in enumerate(words.split()):
        out += ([{"t": "Space"}] if i else []) + [{"t": "Str", "c": word}]
    return out


def front_blocks(manuscript: Manuscript, context: BuildContext) -> list[Any]:
    """The title page, the publication details and the abstract, each a section of its own
    with its EPUB type (titlepage, imprint, abstract); the first two stay out of the contents."""
    meta = manuscript.paper.meta
    labels = labels_for(meta.language)
    template = template_environment(manuscript.paper).get_template("epub-front.xhtml")
    license_text, license_url = license_statement(meta.license, meta.language)
    values = {**template_values(manuscript, context), "license_text": license_text, "license_url": license_url}
    sections = [("paper-title-page", "titlepage", meta.title, "title", False),
                ("paper-imprint", "imprint", labels["imprint"], "imprint", False)]
    if manuscript.abstract_html:
        sections.append(("paper-abstract", "abstract", labels["abstract"], "abstract", True))
    blocks: list[Any] = []
    for ident, kind, title, part, listed in sections:
        classes = ["unnumbered", "paper-front", f"paper-{part}"] + ([] if listed else ["unlisted"])
        blocks.append({"t": "Header", "c": [1, [ident, classes, typed(kind)], text(title)]})
        blocks.append({"t": "RawBlock", "c": ["html", template.render(part=part, **values)]})
    return blocks


def typed(kind: str) -> list[list[str]]:
    """A section's EPUB type, and its ARIA role where DPUB-ARIA has one."""
    return [["epub:type", kind]] + ([["role", ROLES[kind]]] if kind in ROLES else [])


def with_chapter_types(blocks: list[Any]) -> list[Any]:
    """Each chapter's heading says what the chapter is (epub:type), so that reading systems and
    checkers tell front matter, appendices and the bibliography from the body."""
    for block in blocks:
        if block["t"] == "Header" and block["c"][0] == 1:
            attributes = dict(block["c"][1][2])
            kind = CHAPTER_TYPES.get(attributes.get("paper-role", ""), "")
            if kind and "epub:type" not in attributes:
                block["c"][1][2] = [*block["c"][1][2], *typed(kind)]
    return blocks


def list_blocks(lists: list[dict[str, Any]]) -> list[Any]:
    """The lists of figures, tables and boxes as pandoc blocks, one section each."""
    blocks: list[Any] = []
    for listing in lists:
        kind = LIST_TYPES[listing["name"]]
        blocks.append({"t": "Header", "c": [1, [f"list-of-{listing['name']}", ["unnumbered", "paper-lists"],
                                                [["epub:type", kind]] if kind else []],
                                            text(listing["title"])]})
        blocks.append({"t": "BulletList", "c": [[{"t": "Plain", "c": [{"t": "Link", "c": [
            ["", [], []],
            [{"t": "Span", "c": [["", ["toc-label"], []], text(item["label"])]}, {"t": "Space"},
             *text(item["caption"])],
            [f"#{item['id']}", ""]]}]}] for item in listing["items"]]})
    return blocks


def with_figure_anchors(node: Any) -> Any:
    """Each figure's id moved to a division around it: pandoc's EPUB writer does not point
    links at a figure's own id when it splits the book into files (pandoc 3.9)."""
    if isinstance(node, list):
        return [with_figure_anchors(item) for item in node]
    if isinstance(node, dict) and "c" in node:
        if node.get("t") == "Figure" and node["c"][0][0]:
            ident = node["c"][0][0]
            figure = {"t": "Figure", "c": [["", *node["c"][0][1:]], *node["c"][1:]]}
            return {"t": "Div", "c": [[ident, ["figure"], []], [figure]]}
        return {**node, "c": with_figure_anchors(node["c"])}
    return node


PAGE_ANCHOR = re.compile(r'<span id="(pb-\d+-\d+)"></span>')


def with_page_breaks(chapter: str, labels: dict[str, list[str]]) -> str:
    """Put a page-break marker (EPUB's pagebreak, ARIA's doc-pagebreak) where each PDF page
    begins: before the anchor of the first block on that page."""
    return PAGE_ANCHOR.sub(lambda m: "".join(marker(label) for label in labels.get(m.group(1), ())) + m.group(0),
                           chapter)


class _Outline(HTMLParser):
    """The text of a document's first h1 and the attributes of its first section."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.heading: list[str] = []
        self.section: dict[str, str | None] | None = None
        self.depth = 0  # inside the first h1
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section" and self.section is None:
            self.section = dict(attrs)
        if tag == "h1" and not self.done:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1" and self.depth:
            self.depth, self.done = 0, True

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.heading.append(data)


FRONT_TYPES = {"preamble", "loi", "lot"}
"""Section types pandoc does not count as front matter but readers do (it makes them bodymatter)."""


def with_document_title(document: str, name: str) -> str:
    """pandoc titles each chapter's file by its file name (ch004.xhtml): the chapter's heading
    is its title, and the lists and a front-matter chapter are front matter."""
    outline = _Outline()
    outline.feed(document)
    title = " ".join("".join(outline.heading).split())
    if title:
        document = document.replace(f"<title>{name.rsplit('/', 1)[-1]}</title>", f"<title>{escape(title)}</title>", 1)
    section = outline.section or {}
    if section.get("epub:type") in FRONT_TYPES or "paper-lists" in (section.get("class") or "").split():
        document = document.replace('<body epub:type="bodymatter">', '<body epub:type="frontmatter">', 1)
    return document


MATH = re.compile(r"<math (?P<attrs>[^>]*)>(?P<body>.*?)</math>", re.S)
TEX = re.compile(r'<annotation encoding="application/x-tex">(.*?)</annotation>', re.S)


def with_math_alttext(document: str) -> str:
    """Each formula's TeX as its alttext too, which reading systems without MathML say aloud
    (pandoc keeps it only as an annotation)."""
    def alttext(match: re.Match) -> str:
        tex = TEX.search(match.group("body"))
        if tex is None or "alttext=" in match.group("attrs"):
            return match.group(0)
        value = escape(" ".join(unescape(tex.group(1)).split()), quote=True)
        return f'<math alttext="{value}" {match.group("attrs")}>{match.group("body")}</math>'

    return MATH.sub(alttext, document)


def with_cover_name(document: str, name: str) -> str:
    """The cover image (an SVG wrapping the picture) gets an accessible name."""
    return document.replace("<svg ", f'<svg role="img" aria-label="{escape(name)}" ', 1)


def marker(label: str) -> str:
    return (f'<span epub:type="pagebreak" role="doc-pagebreak" id="page-{label}" '
            f'aria-label="{label}"></span>')


def finish(epub: Path, meta: PaperMeta, pages: list[dict[str, str]], has_images: bool,
           labels: dict[str, str]) -> None:
    """Add what pandoc does not write to the package, keeping the file byte-for-byte repeatable:
    the PDF's page numbers, footnote back links, the page list, landmarks and metadata."""
    with zipfile.ZipFile(epub) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    at: dict[str, list[str]] = {}
    for page in pages:
        at.setdefault(page["anchor"], []).append(page["label"])
    texts = {info.filename: data.decode("utf-8") for info, data in entries
             if info.filename.endswith(".xhtml")}
    for name in texts:
        if re.search(r"/ch\d+\.xhtml$", name):
            texts[name] = with_math_alttext(with_document_title(
                with_back_links(with_page_breaks(texts[name], at), labels), name))
        elif name.endswith("/cover.xhtml"):
            texts[name] = with_cover_name(texts[name], f'{labels["cover"]}: {meta.title}')
    replaced = {name: text.encode("utf-8") for name, text in texts.items()
                if re.search(r"/(ch\d+|cover)\.xhtml$", name)}
    for info, data in entries:
        if info.filename.endswith("nav.xhtml"):
            replaced[info.filename] = navigation(data.decode("utf-8"), texts, [p["label"] for p in pages],
                                                 labels).encode("utf-8")
        elif info.filename.endswith("content.opf"):
            replaced[info.filename] = package(data.decode("utf-8"), meta, bool(pages),
                                              has_images, labels).encode("utf-8")
    with zipfile.ZipFile(epub, "w") as target:
        for info, data in entries:
            target.writestr(info, replaced.get(info.filename, data))


FOOTNOTE = re.compile(r'(<aside epub:type="footnote"[^>]*id="fn(\d+)">.*?)(</p>\s*</aside>)', re.S)


def with_back_links(chapter: str, labels: dict[str, str]) -> str:
    """A link from each footnote back to where it is called (pandoc's EPUB 3 notes have none)."""
    return FOOTNOTE.sub(lambda m: f'{m.group(1)} <a href="#fnref{m.group(2)}" role="doc-backlink" '
                        f'aria-label="{labels["back_to_text"]}">↩︎</a>{m.group(3)}', chapter)


def navigation(nav: str, texts: dict[str, str], pages: list[str], labels: dict[str, str]) -> str:
    """The page list, and a landmark for the start of the body and for the bibliography."""
    chapters = sorted(n for n in texts if re.search(r"/ch\d+\.xhtml$", n))
    found = {label: next((n for n in chapters if f'id="page-{label}"' in texts[n]), None)
             for label in pages}
    links = "".join(f'<li><a href="{relative(found[label])}#page-{label}">{label}</a></li>'
                    for label in pages if found[label])
    page_list = (f'<nav epub:type="page-list" role="doc-pagelist" id="page-list" hidden="hidden">'
                 f'<h1>{labels["pages"]}</h1><ol>{links}</ol></nav>\n') if links else ""
    landmarks = ""
    title_page = next((n for n in chapters if 'id="paper-title-page"' in texts[n]), None)
    if title_page:
        landmarks += (f'    <li>\n      <a href="{relative(title_page)}" epub:type="titlepage">'
                      f'{labels["title_page"]}</a>\n    </li>\n')
    body = [n for n in chapters if '<body epub:type="bodymatter">' in texts[n]]
    if body:
        landmarks += (f'    <li>\n      <a href="{relative(body[0])}" epub:type="bodymatter">'
                      f'{labels["start_of_content"]}</a>\n    </li>\n')
        bibliography = next((n for n in chapters if 'id="refs"' in texts[n]), None)
        if bibliography:
            landmarks += (f'    <li>\n      <a href="{relative(bibliography)}#refs" '
                          f'epub:type="bibliography">{labels["references"]}</a>\n    </li>\n')
    nav = re.sub(r'(<nav epub:type="landmarks".*?)(\s*</ol>)', lambda m: m.group(1) + "\n" + landmarks.rstrip("\n")
                 + m.group(2), nav, count=1, flags=re.S)
    # pandoc's own landmarks and title are in English, or a dash
    nav = nav.replace('epub:type="cover">Cover</a>', f'epub:type="cover">{labels["cover"]}</a>', 1)
    nav = nav.replace('epub:type="toc">Table of Contents</a>', f'epub:type="toc">{labels["contents"]}</a>', 1)
    nav = nav.replace("<title>-</title>", f"<title>{labels['contents']}</title>", 1)
    return nav.replace("</body>", page_list + "</body>")


def relative(name: str | None) -> str:
    """A path inside the EPUB (EPUB/text/ch001.xhtml) as seen from nav.xhtml (text/ch001.xhtml)."""
    return name.split("/", 1)[1] if name and "/" in name else name or ""


def package(opf: str, meta: PaperMeta, has_pages: bool, has_images: bool, labels: dict[str, str]) -> str:
    """Series and accessibility metadata that pandoc leaves out."""
    extra = []
    if meta.series:
        extra += [f'<meta property="belongs-to-collection" id="collection">{escape(meta.series.name)}</meta>',
                  '<meta refines="#collection" property="collection-type">series</meta>']
        if meta.series.number:
            extra.append(f'<meta refines="#collection" property="group-position">'
                         f'{escape(meta.series.number)}</meta>')
    if has_images:
        extra.append('<meta property="schema:accessMode">visual</meta>')
    if has_pages:
        # the page numbers are those of the PDF edition: readers citing a page need to know that
        source = (f"urn:isbn:{meta.isbn}" if meta.isbn else f"https://doi.org/{meta.doi}" if meta.doi
                  else f"{meta.title}, PDF edition")
        extra += ['<meta property="schema:accessibilityFeature">pageBreakMarkers</meta>',
                  '<meta property="schema:accessibilityFeature">pageNavigation</meta>',
                  # the EPUB 3.2 form: 3.3's pageBreakSource is unknown to EPUBCheck 4
                  f'<dc:source id="pagination-source">{escape(source)}</dc:source>',
                  '<meta refines="#pagination-source" property="source-of">pagination</meta>']
    extra += [f'<meta property="schema:accessibilitySummary">{labels["a11y_summary"]}</meta>',
              '<meta property="dcterms:conformsTo">EPUB Accessibility 1.1 - WCAG 2.1 Level AA</meta>']
    return opf.replace("  </metadata>", "".join(f"    {line}\n" for line in extra) + "  </metadata>", 1)


def epub_metadata(meta: PaperMeta, description: str) -> dict[str, Any]:
    """The paper's metadata as a pandoc AST `meta` map (plain strings, never re-read as Markdown)."""
    def text(value: str) -> dict[str, Any]:
        return {"t": "MetaString", "c": value}

    def listing(values: list[Any]) -> dict[str, Any]:
        return {"t": "MetaList", "c": values}

    def mapping(values: dict[str, Any]) -> dict[str, Any]:
        return {"t": "MetaMap", "c": values}

    identifier = (mapping({"scheme": text("DOI"), "text": text(f"doi:{meta.doi}")}) if meta.doi
                  else mapping({"scheme": text("ISBN-13"), "text": text(meta.isbn)}) if meta.isbn
                  else text(f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, meta.title + meta.date)}"))
    titles = [mapping({"type": text("main"), "text": text(meta.title)})]
    if meta.subtitle:
        titles.append(mapping({"type": text("subtitle"), "text": text(meta.subtitle)}))
    values: dict[str, Any] = {
        "title": listing(titles),
        "toc-title": text(labels_for(meta.language)["contents"]),
        "lang": text(meta.language),
        "date": text(meta.date),
        "identifier": listing([identifier]),
        "creator": listing([mapping({"role": text("author"), "text": text(a.name)})
                            for a in meta.authors]),
    }
    optional = {"publisher": meta.publisher, "rights": meta.license, "description": description}
    values.update({key: text(value) for key, value in optional.items() if value})
    if meta.keywords:
        values["subject"] = listing([text(k) for k in meta.keywords])
    return values
