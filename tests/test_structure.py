"""Numbered figures, tables, boxes, equations and sections; cross-references; lists; parts,
appendices and front matter, checked in the PDF, the website and the EPUB of a sample paper."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pikepdf
import pypdf
import pytest
from conftest import copy_project, epubcheck, heading_text

from paper.cli import main
from paper.pipeline import BuildOptions, build


@pytest.fixture(scope="module")
def output(samples) -> Path:
    return samples("structure")[0] / "output"


@pytest.fixture(scope="module")
def pages(output) -> list[str]:
    """The text of each PDF page, white space normalised."""
    reader = pypdf.PdfReader(output / "structure.pdf")
    return [" ".join(page.extract_text().split()) for page in reader.pages]


@pytest.fixture(scope="module")
def labels(output) -> list[str]:
    return pypdf.PdfReader(output / "structure.pdf").page_labels


@pytest.fixture
def structure(tmp_path) -> Path:
    return copy_project("structure", tmp_path)


def page_of(pages: list[str], labels: list[str], text: str, after: int = 0) -> str:
    """The printed number of the first page, from index `after` on, that holds `text`."""
    return next(labels[i] for i in range(after, len(pages)) if text in pages[i])


def body_start(pages: list[str]) -> int:
    """Index of the first page after the front matter lists (where captions are the real ones)."""
    return next(i for i, text in enumerate(pages) if text.startswith("Executive summary"))


# ---- PDF ----

def test_front_matter_is_roman_and_chapter_one_follows_the_part_page(pages, labels):
    summary = body_start(pages)
    assert labels[summary] in ("v", "vi", "vii") and labels[summary + 1].isalpha()
    part = next(i for i, text in enumerate(pages) if text.startswith("PART I Diagnosis"))
    assert labels[part] == "1" and part == summary + 2
    assert pages[part + 1].startswith("CHAPTER 1 Setting the stage")
    assert any(text.startswith("APPENDIX A Data sources") for text in pages)


def test_items_are_numbered_per_chapter_with_their_labels(pages):
    text = " ".join(pages[body_start(pages):])
    for caption in ("Table 1 Key findings", "Figure 1.1 A square used as a test figure",
                    "Box 1.1 Medellín’s transformation", "Table 2.1 Homicide rates per 100,000",
                    "Figure 2.1 A second figure", "Box 2.1 Lessons from Bogotá", "Table A.1 Surveys used",
                    "1.1 Approach", "1.1.1 A subsection", "A.1 Surveys", "(2.1)"):
        assert caption in text, caption
    assert "Unnumbered remarks" in text and "1.2 Unnumbered remarks" not in text


def test_cross_references_give_number_label_and_the_real_page(pages, labels):
    start = body_start(pages)
    summary = pages[start]
    table = page_of(pages, labels, "Table 2.1 Homicide rates", start)
    figure = page_of(pages, labels, "Figure 1.1 A square", start)
    box = page_of(pages, labels, "Box 1.1 Medellín", start)
    equation = page_of(pages, labels, "(2.1)", start)
    assert f"main table is Table 2.1, p. {table}, its figure is Figure 1.1, p. {figure}" in summary
    assert f"told in Box 1.1, p. {box}" in summary
    assert f"The model is 2.1, p. {equation} in Chapter 2;" in summary  # -@eq: gives the number only
    assert "the data are in Appendix A." in summary  # whole chapters: no page
    evidence = next(text for text in pages if text.startswith("CHAPTER 2"))
    assert f"As Figures 1.1, p. {figure} and 2.1 show" in evidence  # same chapter: no page
    assert "see also see Table 2.1, top row" in evidence
    setting = next(text for text in pages if text.startswith("CHAPTER 1"))
    assert f"come in Table 2.1, p. {table}, and the approach is in Section 1.1." in setting
    responses = next(text for text in pages if text.startswith("CHAPTER 3"))
    assert f"Chapter 1 set the stage; Appendix A gives the data, and Equation 2.1, p. {equation}" in responses


def test_lists_give_the_pages_the_items_are_on(pages, labels):
    start = body_start(pages)
    lists = next(text for text in pages if text.startswith("List of figures"))
    assert "List of tables" in lists and "List of boxes" in lists
    for label, caption in (("Figure 1.1", "A square used as a test figure"), ("Table 1", "Key findings"),
                           ("Table A.1", "Surveys used"), ("Box 2.1", "Lessons from Bogotá")):
        page = page_of(pages, labels, f"{label} {caption}", start)
        assert re.search(rf"{re.escape(label)} {re.escape(caption)}[ .]*{page}\b", lists), label


def test_contents_outline_and_links(output, pages):
    reader = pypdf.PdfReader(output / "structure.pdf")
    top = [item.title for item in reader.outline if not isinstance(item, list)]
    assert top == ["Contents", "List of figures", "List of tables", "List of boxes", "Executive summary",
                   "Abbreviations", "Part I Diagnosis", "Chapter 1 Setting the stage", "Chapter 2 The evidence",
                   "Part II Responses", "Chapter 3 Responses", "Appendix A Data sources", "References"]
    contents = next(text for text in pages if text.startswith("Contents"))
    assert "PART I DIAGNOSIS Chapter 1 Setting the stage" in contents
    # every cross-reference on the summary page is a link inside the document
    summary = reader.pages[body_start(pages)]
    links = [a.get_object() for a in summary.get("/Annots", []) if a.get_object()["/Subtype"] == "/Link"]
    assert len(links) >= 6 and all("/Dest" in link or "/A" in link for link in links)
    assert all("/URI" not in link.get("/A", {}) for link in links)


def test_math_is_vector_graphics_with_its_tex_as_alternative_text(output, pages):
    with pikepdf.open(output / "structure.pdf") as pdf:
        alts = {str(obj.Alt) for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary) and "/Alt" in obj}
    assert r"y_t = \alpha + \beta x_t + \varepsilon_t" in alts and r"\beta" in alts


# ---- website ----

def test_site_links_references_across_pages(output, browser):
    page = browser.new_page()
    page.goto((output / "html" / "evidence.html").as_uri())
    link = page.locator("a.crossref", has_text="1.1").first
    assert link.get_attribute("href") == "setting.html#fig:square"
    assert page.locator("figcaption").first.inner_text() == "Figure\u00a02.1 A second figure"
    assert page.locator("table caption").inner_text().startswith("Table\u00a02.1 Homicide")
    assert page.locator("[id='eq:growth'] math").count() == 1
    assert page.locator("[id='eq:growth'] .equation-number").inner_text() == "(2.1)"
    assert page.locator(".box .box-title").last.inner_text() == "Box\u00a02.1 Lessons from Bogotá"
    link.click()
    assert page.url.endswith("setting.html#fig:square")
    assert page.locator("[id='fig:square'] figcaption").inner_text().startswith("Figure\u00a01.1")
    assert heading_text(page, "article h1") == "Setting the stage"
    page.close()


def test_site_contents_show_parts_and_lists(output, browser):
    page = browser.new_page()
    page.goto((output / "html" / "index.html").as_uri())
    contents = page.locator("nav.toc:not(.list-of) li").all_inner_texts()
    assert contents == ["Executive summary", "Abbreviations", "PART I: DIAGNOSIS", "Chapter 1 Setting the stage",
                        "Chapter 2 The evidence", "PART II: RESPONSES", "Chapter 3 Responses",
                        "Appendix A Data sources", "References"]
    tables = page.locator("nav.list-of", has_text="List of tables")
    assert tables.locator("li").all_inner_texts() == ["Table 1 Key findings", "Table 2.1 Homicide rates per 100,000",
                                                      "Table A.1 Surveys used"]
    assert tables.locator("a").nth(1).get_attribute("href") == "evidence.html#tbl:rates"
    assert not (output / "html" / "part-i.html").exists()
    page.goto((output / "html" / "responses.html").as_uri())
    assert page.locator("a.crossref", has_text="Part I").get_attribute("href") == "setting.html"
    page.close()


# ---- EPUB ----

def test_epub_is_valid_and_links_across_its_files(output, tmp_path):
    epub = output / "structure.epub"
    assert epubcheck(epub, tmp_path / "report.json") == []
    with zipfile.ZipFile(epub) as archive:
        texts = {n: archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".xhtml")}
    evidence = next(t for n, t in texts.items() if 'id="evidence"' in t)
    assert '<span class="caption-label">Table\u00a02.1</span> Homicide rates' in evidence
    figure_file = next(n for n, t in texts.items() if 'id="fig:square"' in t).rsplit("/", 1)[1]
    assert f'href="{figure_file}#fig:square" class="crossref crossref-page">1.1</a>' in evidence
    assert "<math" in evidence and "(2.1)" in evidence
    lists = next(t for t in texts.values() if 'id="list-of-figures"' in t)
    assert '<span class="toc-label">Figure 1.1</span> A square used as a test figure</a>' in lists
    nav = next(t for n, t in texts.items() if n.endswith("nav.xhtml"))
    assert "Appendix A</span> Data sources" in nav and "List of boxes" in nav


# ---- errors ----

def errors(capsys) -> list[str]:
    captured = capsys.readouterr()
    return [line for line in (captured.out + captured.err).splitlines() if ": error: " in line]


def test_broken_reference_and_duplicate_id_name_file_and_line(structure, capsys):
    chapter = structure / "chapters" / "03-responses.md"
    chapter.write_text(chapter.read_text() + "\nSee @tbl:rate and @fig:nowhere.\n\n![Again](../images/square.svg)"
                       "{#fig:square}\n")
    assert main(["build", "--project", str(structure)]) == 1
    found = errors(capsys)
    assert any("03-responses.md:6:5: error: @tbl:rate leads nowhere" in e and "did you mean @tbl:rates" in e
               for e in found), found
    assert any("03-responses.md:6:19: error: @fig:nowhere leads nowhere" in e for e in found), found
    assert any("03-responses.md:8:" in e and "the id 'fig:square' is used twice (also at chapters/01-setting.md:"
               in e for e in found), found
    assert not (structure / "output").exists()


def test_an_id_on_the_wrong_kind_of_item_is_an_error(structure, capsys):
    chapter = structure / "chapters" / "02-evidence.md"
    chapter.write_text(chapter.read_text().replace("{#tbl:rates}", "{#fig:rates}").replace("@tbl:rates", "@fig:rates"))
    for other in ("00-summary.md", "01-setting.md", "03-responses.md"):
        path = structure / "chapters" / other
        path.write_text(path.read_text().replace("tbl:rates", "fig:rates"))
    assert main(["check", "--project", str(structure)]) == 1
    found = errors(capsys)
    assert any("02-evidence.md:10:" in e and "'{#fig:rates}' is not on a figure, so nothing can refer to it: an id "
               "starting with fig: goes right after the image" in e for e in found), found


def test_a_formula_that_cannot_be_drawn_is_shown_as_its_tex_with_a_located_warning(structure, capsys):
    chapter = structure / "chapters" / "03-responses.md"
    chapter.write_text(chapter.read_text() + "\nThe ratio $\\frac{a}{b$ is wrong.\n")
    line = chapter.read_text().splitlines().index("The ratio $\\frac{a}{b$ is wrong.") + 1
    assert main(["check", "--project", str(structure)]) == 0
    out = capsys.readouterr().out
    assert (f"03-responses.md:{line}: warning: the formula '\\frac{{a}}{{b' cannot be shown as a formula in "
            "the PDF, the site and the EPUB (a '{' is never closed); its TeX is printed there instead") in out, out
    assert main(["check", "--strict", "--project", str(structure)]) == 1
    capsys.readouterr()
    assert main(["build", "--project", str(structure), "--format", "pdf"]) == 0
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(structure / "output" / "structure.pdf").pages)
    assert "The ratio \\frac{a}{b is wrong." in text


def test_bad_structure_in_paper_yaml(structure, capsys):
    path = structure / "paper.yaml"
    path.write_text(path.read_text().replace("lists: [figures, tables, boxes]", "lists: [figures, maps]")
                    .replace("      - 03-responses.md", "      - 04-missing.md"))
    assert main(["check", "--project", str(structure)]) == 1
    found = errors(capsys)
    assert any("paper.yaml:19: error: chapters/04-missing.md does not exist" in e for e in found), found
    assert any("paper.yaml:22: error: 'maps' is not a list the paper can print" in e for e in found), found


# ---- options and languages ----

def test_spanish_labels_and_page_references_everywhere_or_nowhere(structure):
    path = structure / "paper.yaml"
    path.write_text(path.read_text().replace("language: en", "language: es") + "page-references: all\n")
    build(structure, options=BuildOptions(formats=("pdf", "html")))
    reader = pypdf.PdfReader(structure / "output" / "structure.pdf")
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for words in ("Cuadro 2.1 Homicide rates", "Figura 1.1", "Recuadro 1.1", "ANEXO A Data sources",
                  "CAPÍTULO 1 Setting the stage", "PARTE I Diagnosis", "Índice de cuadros", "Figuras 1.1, p."):
        assert words in text, words
    assert re.search(r"the approach is in Sección 1\.1, p\. \d", text)  # "all": same chapter too
    html = (structure / "output" / "html" / "responses.html").read_text()
    assert ">Capítulo\u00a01</a>" in html and ">Ecuación\u00a02.1</a>" in html

    path.write_text(path.read_text().replace("page-references: all", "page-references: none"))
    build(structure, options=BuildOptions(formats=("pdf",)))
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(structure / "output" / "structure.pdf").pages)
    assert ", p. " not in text


def test_without_section_numbers(structure):
    path = structure / "paper.yaml"
    path.write_text(path.read_text() + "section-numbers: false\n")
    build(structure, options=BuildOptions(formats=("html",)))
    html = (structure / "output" / "html" / "setting.html").read_text()
    assert 'id="sec:approach"' in html and "header-section-number" not in html
    assert "the approach is in <a" in html and ">Approach</a>" in html  # the title stands in for a number



def test_a_reference_the_document_tree_cannot_resolve_is_reported_at_its_line(structure):
    """The last line of defence behind `paper check`: what the Lua filter could not resolve."""

    from paper.assemble import unresolved
    from paper.loader import load_paper

    paper, _ = load_paper(structure)
    (problem,) = unresolved([{"id": "tbl:rates", "chapter": "setting", "found": "figure"}], paper)
    assert str(problem.location.path) == "chapters/01-setting.md" and problem.location.line == 5
    assert "'tbl:rates' is the id of a figure, not of a table: use the prefix fig: for it" in problem.message
