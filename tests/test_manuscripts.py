"""Books written for bookdown and Quarto build as their authors had them (tests/projects/bookdown
and tests/projects/quarto, written here after real public books), and `paper check` finds
everything a build would refuse."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pypdf
import pytest
from conftest import contents_pages, copy_project, epub_chapter, epub_nav, epubcheck, xhtml_files

from paper.errors import UserError
from paper.pipeline import BuildOptions, build, diagnose


class Elements(HTMLParser):
    """Every element of a page as (tag, attributes, text inside it), read by an HTML parser."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[tuple[str, dict[str, str], list[str]]] = []
        self.open: list[tuple[str, dict[str, str], list[str]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = (tag, {k: v or "" for k, v in attrs}, [])
        self.found.append(element)
        if tag not in ("br", "img", "meta", "link", "hr", "input", "wbr", "source"):
            self.open.append(element)

    def handle_endtag(self, tag):
        while tag in (name for name, _attrs, _text in self.open):
            if self.open.pop()[0] == tag:
                break

    def handle_data(self, data):
        for element in self.open:
            element[2].append(data)

    def having(self, tag: str, cls: str = "") -> list[tuple[dict[str, str], str]]:
        return [(attrs, " ".join("".join(text).split())) for name, attrs, text in self.found
                if name == tag and (not cls or cls in attrs.get("class", "").split())]


def built(samples, name: str):
    root, result = samples(name)
    reader = pypdf.PdfReader(next((root / "output").glob("*.pdf")))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return root, result, reader, text.replace("\u2010\n", "")  # words hyphenated at a line end, joined


@pytest.fixture(scope="module")
def bookdown(samples):
    return built(samples, "bookdown")


@pytest.fixture(scope="module")
def quarto(samples):
    return built(samples, "quarto")


def page(root: Path, name: str) -> Elements:
    return Elements((root / "output" / "html" / name).read_text())


def outline(reader) -> list[str]:
    return [item.title for item in reader.outline if not isinstance(item, list)]


def test_bookdown_book_builds_with_its_structure(bookdown):
    root, result, reader, text = bookdown
    codes = {w.code for w in result.warnings}
    assert {"foreign-key", "foreign-settings", "code-not-run"} <= codes, codes
    assert not any(w.level == "error" for w in result.warnings)
    assert "bad-math" not in codes  # \hspace, \text, \mathbb, \operatorname are drawn
    # (PART) starts a part, (APPENDIX) the appendices; "# Preface {-}" is unnumbered front matter
    assert outline(reader) == ["Contents", "Preface", "Chapter 1 Why survey residents?", "Part I Running the survey",
                               "Chapter 2 Choosing who is asked", "Chapter 3 Fieldwork",
                               "Appendix A Survey forms", "References"]
    assert contents_pages(reader)["Preface"] == "iv"  # the title page is i, the cover is not counted
    assert "(PART)" not in text and "(APPENDIX)" not in text
    # index.Rmd's title is the book's, its author the paper's: no second title, no byline
    assert "index-chapter.html" in {p.name for p in (root / "output" / "html").iterdir()}
    assert not page(root, "index-chapter.html").having("span", "chapter-authors")


def test_bookdown_references_are_printed_once_where_the_author_put_them(bookdown):
    _root, _result, reader, text = bookdown
    assert text.count("Dynamic Documents with R and Knitr") == 1
    # the last page before the back cover (C3, C4)
    assert reader.page_labels[-2:] == ["C3", "C4"]
    last = " ".join(reader.pages[-3].extract_text().replace("\u2010\n", "").split())
    assert last.startswith("References") and "Evidence and Proposals for Latin America" in last


def test_bookdown_references_heading_alone_gets_the_list(tmp_path):
    """bookdown-demo's last chapter is `# References {-}` and nothing else: bookdown (and pandoc)
    print the list under it, so the paper has one References chapter, not an empty one and
    another after it."""
    root = copy_project("bookdown", tmp_path)
    (root / "chapters" / "05-references.Rmd").write_text("# References {-}\n")
    build(root, options=BuildOptions(formats=("pdf",), cache=False))
    reader = pypdf.PdfReader(next((root / "output").glob("*.pdf")))
    contents = next(t for t in (page.extract_text() for page in reader.pages) if t.lstrip().startswith("Contents"))
    assert [line.split(" .")[0] for line in contents.splitlines()].count("References") == 1
    last = " ".join(reader.pages[-3].extract_text().replace("\u2010\n", "").split())
    assert last.startswith("References") and "Evidence and Proposals for Latin America" in last


def test_bookdown_ref_links_give_numbers_in_every_format(bookdown):
    root, _result, _reader, text = bookdown
    for words in ("Chapter 2 explains how", "Appendix A gives the", "Figure 1.1 shows", "Table 1.1 gives",
                  "Chapter 1 gave the reasons"):
        assert words in " ".join(text.split()), words
    links = {words: attrs["href"] for attrs, words in page(root, "fieldwork.html").having("a")}
    assert links["its first chapter"].startswith("introduction.html#")
    assert links["weights"] == "sampling.html#weights"
    links = {words: attrs["href"] for attrs, words in page(root, "forms.html").having("a")}
    assert links["the sampling chapter"] == "sampling.html#weights"
    assert links["the first chapter"].startswith("introduction.html#")
    epub = next((root / "output").glob("*.epub"))
    introduction, _text = epub_chapter(epub, "introduction")
    _name, chapter = epub_chapter(epub, "forms")
    assert f'href="{introduction}#introduction"' in chapter


def test_knitr_chunks_are_shown_as_code_of_their_language(bookdown):
    root, result, _reader, text = bookdown
    assert "weights <- population / sample_size" in text and "svyset district" in text
    assert "knitr::opts_chunk" not in text and "{r" not in text and "eval=F" not in text
    code = page(root, "sampling.html").having("pre")
    assert any("weights <- population" in words for _attrs, words in code)
    said = [w.message for w in result.warnings if w.code == "code-not-run"]
    assert any("2 code chunk(s) (r, stata): 2 shown as code, not run" in m for m in said), said
    assert any("marked include=FALSE or echo=FALSE left out" in m for m in said), said


def test_raw_html_from_real_books_is_part_of_every_format(bookdown, tmp_path):
    root, _result, _reader, text = bookdown
    fieldwork = page(root, "fieldwork.html")
    cells = [words for _attrs, words in fieldwork.having("td")]
    assert "Training and pilot" in cells and "Interviews" in cells
    assert [words for _attrs, words in fieldwork.having("sup")] == ["1"]
    assert "Weights must sum to the population." in text
    epub = next((root / "output").glob("*.epub"))
    assert epubcheck(epub, tmp_path / "report.json") == []
    assert not any("<center" in text for text in xhtml_files(epub).values())
    assert "<br />" in epub_chapter(epub, "fieldwork")[1]


def test_divs_with_a_class_are_visible_asides(bookdown):
    root, _result, _reader, text = bookdown
    asides = page(root, "introduction.html").having("div", "callout")
    assert [a["class"] for a, _words in asides] == ["callout callout-note rmdnote", "callout callout-note summary"]
    assert asides[0][1].startswith("Note A survey is only as good as its sampling frame.")
    assert asides[1][1].startswith("Note In short: surveys count what records miss.")


def test_quarto_book_builds_with_callouts_and_unlisted_chapters(quarto, tmp_path):
    root, result, reader, text = quarto
    assert not any(w.level == "error" for w in result.warnings)
    assert outline(reader) == ["Contents", "Preface", "Chapter 1 Holding a listening session",
                               "Chapter 2 Reporting back", "Appendix A The summary template", "References"]
    assert "Acknowledgements" in text and "Acknowledgements" not in contents_pages(reader)
    epub = next((root / "output").glob("*.epub"))
    assert epubcheck(epub, tmp_path / "report.json") == []
    assert not any("Acknowledgements" in text for text, _href in epub_nav(epub))
    intro = page(root, "intro.html")
    kinds = [(attrs["class"].split()[1], words.split(" ", 1)[0]) for attrs, words in intro.having("div", "callout")]
    assert kinds == [("callout-note", "Note"), ("callout-tip", "Before"), ("callout-warning", "Keep"),
                     ("callout-important", "Important"), ("callout-caution", "Caution"),
                     ("callout-note", "Note")]
    titles = [words for _attrs, words in intro.having("div", "callout-title")]
    assert titles == ["Note", "Before you start", "Keep names out of the notes", "Important", "Caution", "Note"]
    assert [words for _attrs, words in intro.having("div", "box")][0].startswith("Box 1.1 Key points")
    # the chapter's authors are the paper's: no byline; the acknowledgements have their own
    assert not intro.having("span", "chapter-authors")
    assert [w for _a, w in page(root, "readme.html").having("span", "chapter-authors")] == ["Ana Lima"]
    assert "print(sessions)" in text and "#| echo" not in text


def mutate(project: Path, change: str) -> None:
    chapter = project / "chapters" / "01-intro.md"
    if change == "broken uncited entry":
        with (project / "references.bib").open("a") as bib:
            bib.write("\n@book{broken2020,\n  title = {Unclosed,\n  year = 2020\n")
    elif change == "bad math":
        chapter.write_text(chapter.read_text() + "\nA ratio $\\frac{a}{b$.\n")
    elif change == "missing file link":
        chapter.write_text(chapter.read_text() + "\nSee [the annex](annex.pdf).\n")
    elif change == "missing anchor":
        chapter.write_text(chapter.read_text() + "\nSee [the annex](#annex).\n")
    elif change == "html table with breaks in a caption":
        chapter.write_text(chapter.read_text() + "\n<table><caption>Rates<br>2012</caption>"
                           "<tr><td>a<br>b</td></tr></table>\n")


@pytest.mark.parametrize("name, change", [
    ("bookdown", ""), ("quarto", ""), ("structure", ""),
    ("minimal", "broken uncited entry"), ("minimal", "bad math"), ("minimal", "missing file link"),
    ("minimal", "missing anchor"), ("minimal", "html table with breaks in a caption"),
])
def test_check_finds_everything_the_build_refuses(name, change, tmp_path):
    project = copy_project(name, tmp_path)
    mutate(project, change)
    _paper, found = diagnose(project)
    checked = {str(d) for d in found if d.level == "error"}
    try:
        asked = ("html", "epub") if name == "structure" else ("pdf", "html", "epub")
        build(project, options=BuildOptions(formats=asked))
        refused: set[str] = set()
    except UserError as exc:
        refused = {str(d) for d in exc.diagnostics if d.level == "error"}
    assert refused <= checked, f"the build refused what check did not report: {refused - checked}"
    assert bool(checked) == bool(refused)

