"""The reading site as a browser shows it, on a phone and on a desktop."""

from __future__ import annotations

import pytest
from conftest import heading_text

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=PHONE)
    yield context.new_page()
    context.close()


def test_index_lists_every_chapter_and_offers_downloads(minimal_output, page):
    page.goto((minimal_output / "html" / "index.html").as_uri())
    assert page.title() == "A Minimal Test Paper"
    assert page.locator("h1").inner_text() == "A Minimal Test Paper"
    toc = page.locator("nav.toc li").all_inner_texts()
    assert toc == ["Chapter 1 Introduction to testing", "Chapter 2 Findings of the second chapter", "References"]
    links = page.locator("ul.downloads a")
    assert links.all_inner_texts() == ["Download PDF", "Download EPUB"]
    for link in links.all():
        target = (minimal_output / "html" / link.get_attribute("href")).resolve()
        assert target.is_file(), target
    assert page.locator(".abstract em").inner_text() == "abstract"


def test_reader_can_walk_through_the_chapters(minimal_output, page):
    page.goto((minimal_output / "html" / "index.html").as_uri())
    page.click("nav.toc >> text=Introduction to testing")
    assert heading_text(page) == "Introduction to testing"
    assert page.locator("h1 .heading-number").inner_text().casefold() == "chapter 1"
    assert page.locator(".chapter-session").inner_text() == "Drawn from the session: Opening session"
    assert page.locator("figure img").evaluate("img => img.naturalWidth") > 0
    assert "A footnote in the first chapter." in page.locator(".footnotes").inner_text()
    page.click("a[rel=next]")
    assert heading_text(page) == "Findings of the second chapter"
    page.click(".citation a >> nth=0")
    assert page.url.split("/")[-1].startswith("references.html#ref-")
    assert page.locator("h1").inner_text() == "References"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP])
def test_pages_fit_the_screen(minimal_output, browser, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    for name in ("index", "intro", "findings", "references"):
        page.goto((minimal_output / "html" / f"{name}.html").as_uri())
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{name}.html scrolls sideways at {viewport['width']}px"
        text = page.locator(":is(.abstract, .level1, .level2) > p, .csl-entry").first
        assert text.evaluate("p => parseFloat(getComputedStyle(p).fontSize)") >= 16
    context.close()
