"""The records that flow through the pipeline. No I/O here; all frozen."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .diagnostics import Diagnostic

if TYPE_CHECKING:
    from .cache import Cache

Role = Literal["front-matter", "chapter", "appendix", "part", "references"]
"""Where a chapter stands in the paper: numbered as a chapter, a letter, a part, or not."""
ItemKind = Literal["figure", "table", "box", "equation"]
SOURCE_FOLDERS = ("chapters", "images", "templates", "fonts", "styles")
"""The project's folders a build reads from (besides paper.yaml, references.bib, and the files
paper.yaml and the chapters name)."""
PdfStandard = Literal["pdf/ua-1", "pdf/a-3b"]
PdfLayout = Literal["pieces", "whole"]


@dataclass(frozen=True)
class Author:
    name: str
    """As printed, e.g. "Ana Souza Lima"."""
    affiliation: str = ""
    orcid: str = ""
    """ORCID iD as 0000-0000-0000-0000, checked for its check digit."""
    family_name: str = ""
    """The family name(s) within `name`; empty means its last word."""
    organization: bool = False
    """A team or institution: its name is never split into given and family names."""
    ror: str = ""
    """The ROR id of the affiliation (05dxps055), for deposits."""

    @property
    def family(self) -> str:
        if self.organization:
            return ""
        return self.family_name or self.name.split()[-1]

    @property
    def given(self) -> str:
        if self.organization:
            return ""
        return self.name.removesuffix(self.family).strip()


@dataclass(frozen=True)
class Series:
    name: str
    number: str = ""
    issn: str = ""
    """The series' ISSN (for its online edition), from series.yaml or paper.yaml."""


@dataclass(frozen=True)
class Funding:
    """Who paid for the work (paper.yaml `funding:`), for the deposits and the imprint page."""

    funder: str
    funder_id: str = ""
    """The funder's DOI in the Crossref Funder Registry (10.13039/…) or its ROR address."""
    award: str = ""
    """The grant or award number."""


@dataclass(frozen=True)
class Part:
    """A group of chapters under a part title ("Part I: Diagnosis")."""

    title: str
    chapters: tuple[str, ...]


@dataclass(frozen=True)
class Edition:
    """What paper.yaml says about one translated edition (under `editions:`)."""

    language: str
    title: str = ""
    subtitle: str = ""
    abstract: str = ""
    keywords: tuple[str, ...] = ()
    disclaimer: str = ""
    series: str = ""
    """The series' name in this language."""
    parts: tuple[str, ...] = ()
    """The parts' titles in this language, in order."""
    authors: tuple[Author, ...] = ()
    """The authors as this edition names them (a team's name translated, say); empty: the same."""
    doi: str = ""
    """The translation's own DOI, if it has one (it is then deposited as a translation)."""
    translators: tuple[Author, ...] = ()


@dataclass(frozen=True)
class Limits:
    """How large the input may be (paper.yaml `limits:`); a 1,000-page book stays well inside."""

    chapters: int = 1000
    """Chapter files in the paper, translations counted apart."""
    chapter_mb: int = 5
    """Size of one chapter file."""
    nesting: int = 100
    """Levels of nesting in a chapter's document tree (a list inside a list takes two, a
    quotation one): far more than any real text, and few enough that no step of the build
    runs out of stack."""
    image_mb: int = 25
    """Size of one image file."""
    image_megapixels: int = 100
    """Pixels of one raster image, read from its header."""
    svg_elements: int = 50_000
    """Elements of one SVG drawing, counting each <use> as the elements it repeats."""


@dataclass(frozen=True)
class PaperMeta:
    """What paper.yaml says about the paper as a whole."""

    title: str
    language: str
    """BCP 47 tag, e.g. "en", "es", "pt-BR"."""
    date: str
    """ISO date: YYYY, YYYY-MM or YYYY-MM-DD."""
    authors: tuple[Author, ...]
    subtitle: str = ""
    series: Series | None = None
    abstract: str = ""
    """Markdown."""
    keywords: tuple[str, ...] = ()
    license: str = ""
    publisher: str = ""
    doi: str = ""
    isbn: str = ""
    slug: str = ""
    """Base name of the output files, e.g. "citizen-security" for citizen-security.pdf."""
    chapters: tuple[str, ...] = ()
    """Explicit order of the numbered chapters (file names under chapters/); empty means the
    sorted names of the files not listed as front matter or appendices."""
    front_matter: tuple[str, ...] = ()
    """Unnumbered chapters before chapter 1 (executive summary, foreword, abbreviations)."""
    appendices: tuple[str, ...] = ()
    """Chapters after the last one, lettered A, B, …"""
    parts: tuple[Part, ...] = ()
    """Groups of numbered chapters, when `chapters:` has part entries."""
    lists: tuple[str, ...] = ()
    """Which lists to print after the contents: figures, tables, boxes."""
    downloads: tuple[str, ...] = ("pdf", "epub", "cite")
    """The formats whose files the website offers (paper.yaml's downloads:)."""
    boxes: tuple[tuple[str, str], ...] = ()
    """A fenced div's class and the kind it makes it (rmdnote -> note), from paper.yaml."""
    ignore: tuple[str, ...] = ()
    """Warning codes not to report (paper.yaml's ignore:)."""
    section_numbers: bool = True
    """Number sections within chapters (2.1, 2.1.1)."""
    page_references: str = "other-chapters"
    """In the PDF, cross-references also give the page: "all", "other-chapters" or "none"."""
    citation_style: str = "chicago-author-date"
    """A style shipped with the tool (see paper/styles) or a project-relative .csl path."""
    reference_list: str = "end"
    """"end": one list of references after the last chapter; "per-chapter": one per chapter."""
    page_size: str = "A4"
    chapter_start: str = "new-page"
    """"new-page" or "right-hand-page" (leaving a blank left page where needed)."""
    cover_image: str = ""
    """Project-relative path of an image for the front cover."""
    logos: tuple[str, ...] = ()
    disclaimer: str = ""
    version: str = ""
    site_url: str = ""
    """Where the website will be published; needed for canonical links and the sitemap."""
    languages: tuple[str, ...] = ()
    """Every edition's language, the source's first; empty means only `language`."""
    editions: tuple[Edition, ...] = ()
    """Titles and abstracts of the translated editions."""
    limits: Limits = Limits()
    report_number: str = ""
    """The paper's number as the publisher gives it ("SSDP 1/2012"); by default the series number."""
    funding: tuple[Funding, ...] = ()
    jel: tuple[str, ...] = ()
    """Journal of Economic Literature classification codes (H56, O54)."""
    translators: tuple[Author, ...] = ()
    """An edition's translators (from editions: in paper.yaml); none for the source."""
    valid: bool = True
    """False when paper.yaml had errors: the paper may be checked but never built."""


@dataclass(frozen=True)
class Index:
    """What the checks need to know of a chapter's tree, found in one walk of it
    (paper.check.index)."""

    heading: str = ""
    """Plain text of the first heading."""
    cites: tuple[str, ...] = ()
    """Citation keys (and @fig:… cross-references), in order, the front matter's first."""
    ids: tuple[tuple[str, str], ...] = ()
    """(id, what carries it): "Header", "Figure", "Table", "box" (a Div of class box),
    "Div", "Span"…, "equation" for '$$ … $$ {#eq:x}', and "text" for an id written where no
    element takes it ('{#fig:x}' after a space)."""
    links: tuple[str, ...] = ()
    """Every link's target, in order."""
    images: tuple[str, ...] = ()
    """Every image's project-relative path, in order."""
    div_classes: tuple[tuple[str, ...], ...] = ()
    """The classes of every div that has any, in order."""
    math: tuple[tuple[str, str], ...] = ()
    """("InlineMath" or "DisplayMath", TeX) of every formula, in order."""


@dataclass(frozen=True)
class Chapter:
    """One Markdown file under chapters/."""

    path: Path
    """Relative to the project folder, e.g. chapters/01-setting-the-stage.md."""
    id: str
    """Anchor and file name stem used in every output, e.g. "setting-the-stage"."""
    body: str
    """The Markdown after the front matter."""
    body_line: int
    """Line of the file on which `body` starts (1-based), so messages point at the right line."""
    title: str = ""
    """From the front matter; empty means the first heading of the body is the title."""
    authors: tuple[str, ...] = ()
    session: str = ""
    """The workshop session the chapter was drawn from."""
    abstract: str = ""
    contributors: tuple[str, ...] = ()
    """Speakers whose contributions the chapter draws on, e.g. "Ana Souza (Institute)"."""
    notes: str = ""
    """The session notes the chapter was drafted from, relative to the project."""
    role: Role = "chapter"
    """"front-matter" (unnumbered, before chapter 1), "chapter" or "appendix"."""
    part: str = ""
    """Title of the part the chapter belongs to, if the paper has parts."""
    translation_of: str = ""
    """For a translation: the file name of its source chapter under chapters/."""
    source_hash: str = ""
    """For a translation: the source chapter's hash when it was translated (see `paper check`)."""
    language: str = ""
    """Set when the chapter is not in its edition's language (a translation still missing)."""
    blocks: tuple[Any, ...] = field(default=(), compare=False, repr=False)
    """The body as pandoc read it (sandboxed), cleaned and with image paths resolved."""
    fields: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The front matter's texts as pandoc read them (paper-title, paper-authors…)."""
    read: bool = field(default=True, compare=False, repr=False)
    """False when the file could not be read (not UTF-8, far too deep): its other checks are
    skipped, so the one error that matters is not buried under the ones it causes."""
    index: Index = field(default=Index(), compare=False, repr=False)
    """What the checks need of the tree, found once when it is read."""
    numbered: bool = True
    """False for a chapter whose heading says {-} or {.unnumbered}: no number, in reading order."""
    listed: bool = True
    """False for a chapter whose heading says {.unlisted}: left out of the contents."""
    starts_part: str = ""
    """The title of the part this chapter starts (bookdown's '# (PART) Title {-}')."""
    starts_appendices: bool = False
    """This chapter and the ones after it are appendices (bookdown's '# (APPENDIX) …', or Quarto's
    {.appendix} on the chapter's heading, which makes this chapter alone one)."""

    @property
    def images(self) -> tuple[str, ...]:
        """Project-relative path of every image the chapter shows, in order."""
        return self.index.images


@dataclass(frozen=True)
class Reference:
    """One bibliography entry, already converted to CSL JSON."""

    key: str
    csl: dict[str, Any]
    line: int


@dataclass(frozen=True)
class Paper:
    """Everything read from a project, checked for syntax but not yet for consistency."""

    root: Path
    meta: PaperMeta
    chapters: tuple[Chapter, ...]
    references: tuple[Reference, ...] = ()
    bibliography: Path | None = None
    """Relative path of references.bib, if the project has one."""
    templates: Path | None = None
    """The project's templates/ folder, whose files override the built-in ones."""
    translations: tuple[Paper, ...] = ()
    """The other editions (Spanish, Portuguese…), each a whole paper in its language."""
    inherited: tuple[Path, ...] = ()
    """Files of its series the paper reads (series.yaml, the series' templates), as paths from
    its folder (../series.yaml)."""

    @property
    def slug(self) -> str:
        """Base name of the output files: paper.yaml's slug, or one made from the title."""
        return self.slug_of(self.meta)

    @staticmethod
    def slug_of(meta: PaperMeta) -> str:
        if meta.slug:
            return meta.slug
        ascii_title = unicodedata.normalize("NFKD", meta.title).encode("ascii", "ignore").decode()
        words = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-").split("-")
        return "-".join(words[:8]) or "paper"


@dataclass(frozen=True)
class BuildContext:
    """How this build was asked for."""

    root: Path
    out: Path
    formats: tuple[str, ...]
    source_date_epoch: int
    """Seconds since 1970 used for every date written into an artefact."""
    draft: bool = False
    """Stamp DRAFT, the version and the build date on every PDF page."""
    pdf_standard: PdfStandard = "pdf/ua-1"
    """"pdf/ua-1" (accessible, the default) or "pdf/a-3b" (archival, also tagged)."""
    cache: Cache | None = None
    """Where made things are kept by their content key (a service the build uses, not part of
    how it was asked for; None to make everything afresh)."""
    pdf_layout: PdfLayout = "pieces"
    """"pieces": chapter by chapter in parallel, then joined; "whole": one document in one go."""
    layout_workers: int = 0
    """Processes that lay out the PDF's pieces; 0: one per core."""
    strict: bool = False
    """Warnings found while rendering (WeasyPrint's) stop the build too."""
    ignore: tuple[str, ...] = ()
    """Warning codes not to report."""
    preview: bool = False
    """`paper serve` after a save: the website's chapter pages only; the single-page paper and
    the search index are the last build's until the full build that follows."""


@dataclass(frozen=True)
class ChapterText:
    """One chapter of the assembled paper, citations resolved."""

    id: str
    title: str
    """Plain text, for tables of contents, running heads and metadata."""
    blocks: tuple[Any, ...]
    """Pandoc AST blocks, starting with the chapter's level-1 heading."""
    source: Chapter | None
    """None for the generated References chapter and for part title pages."""
    label: str = ""
    """"Chapter 2", "Appendix A", "Part I"; empty for front matter and the references."""
    role: Role = "chapter"
    """"front-matter", "chapter", "appendix", "part" or "references"."""
    listed: bool = True
    """False for a chapter left out of the contents ({.unlisted})."""
    key: str = ""
    """What its blocks are made from, as a cache key that gives the same blocks whenever it is
    the same (assemble.finished); empty for a part and the references, which are made afresh.
    A conversion of the chapter is kept by it, so that an unchanged chapter is not written out
    again only to look its conversion up."""


@dataclass(frozen=True)
class NumberedItem:
    """A numbered figure, table, box or equation, for lists and cross-references."""

    id: str
    kind: ItemKind
    """"figure", "table", "box" or "equation"."""
    label: str
    """As printed, e.g. "Table 3.2"."""
    caption: str
    """Plain text of the caption or box title."""
    chapter: str
    """Id of the chapter it is in."""


@dataclass(frozen=True)
class Manuscript:
    """The whole paper after pandoc and citeproc: ready for any renderer."""

    paper: Paper
    api_version: tuple[int, ...]
    chapters: tuple[ChapterText, ...]
    abstract_html: str = ""
    """The paper's abstract from paper.yaml, as HTML."""
    numbered: tuple[NumberedItem, ...] = ()
    """Every numbered figure, table, box and equation, in order."""
    math: dict[str, str] = field(default_factory=dict)
    """Each formula's TeX source and its rendering as SVG, for the PDF."""
    images: tuple[str, ...] = ()
    """Every image path in the paper, in document order, as the assembler found them chapter
    by chapter (several renderers ask, and a long paper's tree takes a while to walk)."""

    def document(self, chapters: tuple[ChapterText, ...] | None = None) -> dict[str, Any]:
        """A pandoc JSON document holding the given chapters (default: all)."""
        blocks = [b for ch in (self.chapters if chapters is None else chapters) for b in ch.blocks]
        return {"pandoc-api-version": list(self.api_version), "meta": {}, "blocks": blocks}



@dataclass(frozen=True)
class Artifact:
    """What a renderer made: the file or folder published (None for a step whose result only
    other steps use), and what it hands to the steps that need it (the PDF's page map)."""

    format: str
    path: Path | None
    data: Any = field(default=None, compare=False, repr=False)
    warnings: tuple[Diagnostic, ...] = ()
    """What went wrong while making it that did not stop it (WeasyPrint's warnings)."""


@dataclass(frozen=True)
class BuildResult:
    artifacts: tuple[Artifact, ...]
    warnings: tuple[Diagnostic, ...] = field(default=())
