"""The EPUB: valid by epubcheck, with the paper's metadata and a table of contents."""

from __future__ import annotations

import zipfile

from conftest import epub_file, epubcheck


def test_epub_is_valid(minimal_output, tmp_path):
    assert epubcheck(minimal_output / "minimal.epub", tmp_path / "report.json") == []


def test_epub_metadata(minimal_output):
    opf = epub_file(minimal_output / "minimal.epub", "content.opf")
    assert "<dc:title" in opf and "A Minimal Test Paper" in opf
    assert "<dc:language>en</dc:language>" in opf
    assert "Ana Souza</dc:creator>" in opf and "Jorge Pérez</dc:creator>" in opf
    assert "<dc:publisher>Test Press</dc:publisher>" in opf
    assert "<dc:rights>CC BY 4.0</dc:rights>" in opf
    assert '<dc:subject id="subject-1">testing</dc:subject>' in opf
    assert "<dc:description>A short abstract for the tests.</dc:description>" in opf


def test_epub_contents_list_every_chapter(minimal_output):
    nav = epub_file(minimal_output / "minimal.epub", "nav.xhtml")
    for title in ("Introduction to", "Findings of the second chapter", "References", "Background"):
        assert title in nav


def test_epub_embeds_the_figure_and_holds_the_notes(minimal_output):
    with zipfile.ZipFile(minimal_output / "minimal.epub") as archive:
        names = archive.namelist()
        text = "".join(archive.read(n).decode() for n in names if n.endswith(".xhtml"))
    assert any(n.endswith(".svg") for n in names)
    assert "A footnote in the first chapter." in text
    assert "Countries in the test table" in text
