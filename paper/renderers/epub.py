"""EPUB 3: pandoc's EPUB writer fed the assembled paper, then finished here: the PDF's page
numbers as a page list, landmarks, and the series and accessibility metadata."""

from __future__ import annotations

import re
import shutil
import uuid
import zipfile
from html import escape
from pathlib import Path
from typing import Any

from .. import pandoc
from ..labels import labels_for
from ..model import Artifact, BuildContext, Manuscript, PaperMeta
from ..records import plain_text
from . import numbered_lists
from .registry import EditionJob

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
    """pandoc's EPUB of the paper."""
    paper = manuscript.paper
    document = manuscript.document()
    blocks = with_figure_anchors(document["blocks"])
    document["blocks"] = list_blocks(numbered_lists(manuscript)) + blocks
    document["meta"] = epub_metadata(paper.meta, plain_text(manuscript.abstract_html))
    stylesheet = paper.templates / "epub.css" if paper.templates else None
    if stylesheet is None or not stylesheet.is_file():
        stylesheet = STYLESHEET
    target = staging / f"{paper.slug}.epub"
    # pandoc's EPUB writer reads the images itself, so it runs outside pandoc's sandbox, in a
    # folder holding copies of the images the chapters' trees approved and nothing else.
    media = staging / "epub-media"
    for src in sorted(set(manuscript.images)):
        (media / src).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(paper.root / src, media / src)
    media.mkdir(exist_ok=True)
    pandoc.run_binary(["--to=epub3", "--mathml", "--toc", "--toc-depth=2", "--split-level=1",
                       f"--css={stylesheet.resolve()}", f"--resource-path={media}",
                       *([f"--epub-cover-image={cover.resolve()}"] if cover else [])],
                      document, media, context.source_date_epoch, target, cache=context.cache,
                      depends=tuple(paper.root / src for src in sorted(set(manuscript.images))))
    return target


def list_blocks(lists: list[dict[str, Any]]) -> list[Any]:
    """The lists of figures, tables and boxes as pandoc blocks, one section each."""
    def text(words: str) -> list[Any]:
        out: list[Any] = []
        for i, word in enumerate(words.split()):
            out += ([{"t": "Space"}] if i else []) + [{"t": "Str", "c": word}]
        return out

    blocks: list[Any] = []
    for listing in lists:
        blocks.append({"t": "Header", "c": [1, [f"list-of-{listing['name']}", ["unnumbered", "paper-lists"], []],
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
            texts[name] = with_back_links(with_page_breaks(texts[name], at), labels)
    replaced = {name: text.encode("utf-8") for name, text in texts.items() if re.search(r"/ch\d+\.xhtml$", name)}
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
    body = [n for n in chapters if "paper-lists" not in texts[n]]
    if body:
        landmarks += (f'    <li>\n      <a href="{relative(body[0])}" epub:type="bodymatter">'
                      f'{labels["start_of_content"]}</a>\n    </li>\n')
        bibliography = next((n for n in chapters if 'id="refs"' in texts[n]), None)
        if bibliography:
            landmarks += (f'    <li>\n      <a href="{relative(bibliography)}#refs" '
                          f'epub:type="bibliography">{labels["references"]}</a>\n    </li>\n')
    nav = re.sub(r'(<nav epub:type="landmarks".*?)(\s*</ol>)', lambda m: m.group(1) + "\n" + landmarks.rstrip("\n")
                 + m.group(2), nav, count=1, flags=re.S)
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
        extra += ['<meta property="schema:accessibilityFeature">pageBreakMarkers</meta>',
                  '<meta property="schema:accessibilityFeature">pageNavigation</meta>']
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
