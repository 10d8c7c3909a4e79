"""This repository's own discussion paper, built from its real sources."""

from __future__ import annotations

import pypdf
import pytest
from conftest import (
    REPO,
    Package,
    contents_pages,
    epub_nav,
    epubcheck,
    heading_text,
    labelled_titles,
    page_index,
    starts_page,
)

from paper.index import citation_keys, is_crossref
from paper.loader import load_paper
from paper.pipeline import diagnose

SLUG = "governance-citizen-security"


@pytest.fixture(scope="module")
def paper():
    paper, problems = load_paper(REPO)
    assert problems == []
    return paper


@pytest.fixture(scope="module")
def reader(paper_output):
    return pypdf.PdfReader(paper_output / f"{SLUG}.pdf")


def test_the_paper_is_long_enough_and_cites_every_reference(paper):
    words = sum(len(chapter.body.split()) for chapter in paper.chapters)
    assert words >= 8000
    assert 6 <= len(paper.chapters) <= 8
    cited = {key for chapter in paper.chapters for _line, _col, key in citation_keys(chapter)
             if not is_crossref(key)}
    assert cited == {ref.key for ref in paper.references}


def test_pdf_outline_contents_and_running_heads(paper, reader):
    titles = labelled_titles(paper) + ["References"]
    top = [item.title for item in reader.outline if not isinstance(item, list)]
    assert top == ["Contents", "List of figures", "List of tables", "List of boxes", *titles]
    listed = contents_pages(reader)
    assert list(listed) == titles
    for title, page in listed.items():
        assert starts_page(reader, page, title), title
    # Running heads: the chapter's title on right-hand (odd) pages, the paper's title on
    # left-hand pages, none on a chapter's first page. Margin boxes come last in the text,
    # just before the page number.
    for chapter, labelled in zip(paper.chapters, titles, strict=False):
        index = page_index(reader, listed[labelled]) + 1  # the page after the chapter's first
        lines = reader.pages[index].extract_text().splitlines()
        right_hand = (index + 1) % 2 == 1
        assert lines[-2].strip() == (chapter.title if right_hand
                                     else "Governance for Citizen Security in Latin America")
        assert lines[-1].strip() == reader.page_labels[index]
    assert len(reader.pages) >= 25


def test_pdf_metadata_and_content(reader):
    assert reader.metadata.title.startswith("Governance for Citizen Security in Latin America")
    assert reader.metadata.author == "Citizen Security Discussion Paper Team"
    assert reader.trailer["/Root"]["/Lang"] == "en"
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Table 2.1 Countries represented at the Brasília meeting" in " ".join(text.split())
    assert "Figure 2.1 The three themes of the meeting" in " ".join(text.split())
    assert "Inter-American Commission on Human Rights. 2009. Report on Citizen Security" in text
    assert "(Hume 2007; Jütersonke et al. 2009)" in " ".join(text.split())
    assert "???" not in text
    # A footnote sits on the page of its call, below the text.
    (page,) = [p for p in reader.pages if "through manuals." in p.extract_text()]
    body, _, foot = page.extract_text().partition("through manuals.")
    assert "1. The point is often made about policy transfer" in " ".join(foot.split())


def test_epub_is_valid_and_complete(paper, paper_output, tmp_path):
    epub = paper_output / f"{SLUG}.epub"
    assert epubcheck(epub, tmp_path / "report.json") == []
    contents = " | ".join(text for text, _href in epub_nav(epub))
    for chapter in paper.chapters:
        assert chapter.title in contents
    assert Package(epub).dc("publisher") == ["Global South-South Development Academy"]
    labels = pypdf.PdfReader(paper_output / f"{SLUG}.pdf").page_labels
    # from the first chapter on (the executive summary's roman pages, then 1, 2, …), as printed
    pages = [text for text, _href in epub_nav(epub, "page-list")]
    assert pages[0] == "vii" and pages == [label for label in labels[labels.index("vii"):] if not label.startswith("C")]


def test_html_edition_holds_every_chapter(paper, paper_output, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto((paper_output / "html" / "index.html").as_uri())
    assert page.locator("nav.toc:not(.list-of) li").all_inner_texts() == labelled_titles(paper) + ["References"]
    for chapter in paper.chapters:
        page.goto((paper_output / "html" / f"{chapter.id}.html").as_uri())
        assert heading_text(page) == chapter.title
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto((paper_output / "html" / "south-south.html").as_uri())
    assert page.locator("figure img").evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.locator("table caption").first.inner_text().startswith("Table\u00a02.1 Countries")
    page.close()


@pytest.mark.parametrize("code, language, contents, table", [
    ("es", "es", "Índice", "Cuadro 2.1 Países representados en la reunión de Brasilia"),
    ("pt-br", "pt-BR", "Sumário", "Tabela 2.1 Países representados na reunião de Brasília")])
def test_spanish_and_portuguese_editions_are_complete(paper_output, tmp_path, code, language, contents, table):
    paper, problems = diagnose(REPO)
    assert [p.code for p in problems] == []  # no missing or out-of-date translation
    assert [e.meta.language for e in paper.translations] == ["es", "pt-BR"]
    edition = next(e for e in paper.translations if e.meta.language == language)
    assert all(not chapter.language for chapter in edition.chapters)  # every chapter translated
    words = sum(len(chapter.body.split()) for chapter in edition.chapters)
    assert words >= 8000
    reader = pypdf.PdfReader(paper_output / f"{SLUG}-{code}.pdf")
    assert reader.trailer["/Root"]["/Lang"] == language
    assert reader.metadata.title == f"{edition.meta.title}: {edition.meta.subtitle}"
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert contents in text and table in text
    assert epubcheck(paper_output / f"{SLUG}-{code}.epub", tmp_path / "report.json") == []
    for chapter in edition.chapters:
        page = (paper_output / "html" / code / f"{chapter.id}.html").read_text()
        assert f'<html lang="{language}">' in page and f'hreflang="{language}"' in page
