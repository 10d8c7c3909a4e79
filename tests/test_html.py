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


def test_single_page_keeps_each_chapters_notes_under_ids_of_their_own(minimal_output, page):
    """The single page is joined from the chapters' own conversions: both chapters' note 1 is
    there, each after its chapter, and each call leads to its own note and back."""
    page.goto((minimal_output / "html" / "all.html").as_uri())
    ids = page.eval_on_selector_all("[id]", "nodes => nodes.map(n => n.id)")
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    calls = page.locator("a.footnote-ref")
    assert calls.all_inner_texts() == ["1", "1"]
    for n, expected in enumerate(["A footnote in the first chapter.", "A footnote in the second chapter."]):
        call = calls.nth(n)
        call_id, target = call.get_attribute("id"), call.get_attribute("href")
        call.click()
        assert page.url.endswith(target)
        note = page.locator(f"id={target[1:]}")
        assert note.inner_text().startswith(expected)
        # the note is in its chapter's list of notes, which comes before the next chapter
        assert note.evaluate("n => n.closest('section[role=doc-endnotes]').previousElementSibling.id") \
            == ["intro", "findings"][n]
        note.locator("a[role=doc-backlink]").click()
        assert page.url.endswith("#" + call_id)


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
