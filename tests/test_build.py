"""The build as a whole: chapter structure, templates, bibliography conversion, reproducibility."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pypdf
import pytest
from conftest import copy_project, outputs

from paper.bibliography import load_bibliography
from paper.config import _isbn_ok, _orcid_checksum_ok
from paper.pipeline import BuildOptions, build


def files(folder: Path) -> dict[str, bytes]:
    return outputs(folder)


def test_same_sources_give_the_same_bytes(project, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    build(project, tmp_path / "one")
    build(project, tmp_path / "two")
    one, two = files(tmp_path / "one"), files(tmp_path / "two")
    assert one.keys() == two.keys() and len(one) >= 8
    assert [name for name in one if one[name] != two[name]] == []


def test_chapter_headings_are_levelled(minimal_output):
    intro = (minimal_output / "html" / "intro.html").read_text()
    assert '<section id="intro" class="level1 chapter" data-source="chapters/01-intro.md"' in intro
    assert '<span class="heading-number">Chapter 1</span> Introduction to <em>testing</em></h1>' in intro
    assert ">1.1</span> Background</h2>" in intro and ">1.1.1</span> Detail</h3>" in intro
    findings = (minimal_output / "html" / "findings.html").read_text()
    assert "</span> Findings of the second chapter</h1>" in findings
    assert ">2.1</span> A section</h2>" in findings


def test_project_templates_override_the_built_in_ones(project):
    (project / "templates").mkdir()
    (project / "templates" / "site.css").write_text("/* house style */ body { color: black; }\n")
    build(project, options=BuildOptions(formats=("html",)))
    assert "house style" in (project / "output" / "html" / "assets" / "site.css").read_text()


def test_bibtex_becomes_csl_json(project):
    references, problems = load_bibliography(project)
    assert problems == []
    csl = {r.key: r.csl for r in references}
    assert csl["fruhling2003"]["author"][0] == {"family": "Frühling", "given": "Hugo"}
    assert csl["fruhling2003"]["publisher"] == "Woodrow Wilson Center Press"
    assert csl["fruhling2003"]["issued"] == {"date-parts": [[2003]]}
    assert csl["undp1994"]["author"] == [{"literal": "United Nations Development Programme"}]
    assert csl["undp1994"]["type"] == "book"


def test_identifier_checks():
    assert _orcid_checksum_ok("0000-0002-1825-0097")
    assert _orcid_checksum_ok("0000-0001-5109-3700")
    assert not _orcid_checksum_ok("0000-0002-1825-0098")
    assert _isbn_ok("9780306406157") and not _isbn_ok("9780306406158")
    assert _isbn_ok("0306406152")


def test_a_section_named_like_a_chapter_does_not_steal_its_anchor(project):
    intro = project / "chapters" / "01-intro.md"
    intro.write_text(intro.read_text() + "\n## Findings\n\nA section whose id would clash.\n")
    build(project, options=BuildOptions(formats=("pdf", "html")))
    page = (project / "output" / "html" / "intro.html").read_text()
    assert 'id="findings-section"' in page and 'id="findings"' not in page
    index = (project / "output" / "html" / "index.html").read_text()
    assert 'href="findings.html"' in index


def test_no_references_chapter_when_nothing_is_cited(project):
    for chapter in (project / "chapters").glob("*.md"):
        text = chapter.read_text()
        for cite in ("[-@undp1994, p. 22]", "[@undp1994; @fruhling2003]", "@fruhling2003"):
            text = text.replace(cite, "")
        chapter.write_text(text)
    build(project, options=BuildOptions(formats=("html",)))
    assert not (project / "output" / "html" / "references.html").exists()


def test_each_chapter_keeps_its_own_footnote_numbers(project):
    """Authors write [^1] in every chapter; each chapter must show its own note 1, in every format."""
    intro, findings = project / "chapters" / "01-intro.md", project / "chapters" / "02-findings.md"
    intro.write_text(intro.read_text() + "\nA numbered note.[^1]\n\n[^1]: Note one of the introduction.\n")
    findings.write_text(findings.read_text() + "\nAnother.[^1] Code stays: `[^1]`.\n\n"
                        "[^1]: Note one of the findings.\n")
    build(project, options=BuildOptions(formats=("html", "pdf")))
    assert "Note one of the findings." in (project / "output" / "html" / "findings.html").read_text()
    assert "Note one of the findings." not in (project / "output" / "html" / "intro.html").read_text()
    assert "<code>[^1]</code>" in (project / "output" / "html" / "findings.html").read_text()
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(project / "output" / "minimal.pdf").pages)
    assert "Note one of the introduction." in text and "Note one of the findings." in text


def test_cached_builds_give_the_same_bytes_and_redo_only_what_changed(project, tmp_path, caplog):
    """A no-op rebuild does nothing; an edited chapter changes what it must; with or without the
    cache (which may be deleted at any time) the bytes are the same."""
    build(project)
    first = outputs(project / "output")
    mtimes = {p: p.stat().st_mtime_ns for p in (project / "output").rglob("*") if p.is_file()}
    caplog.set_level("INFO", logger="paper")
    build(project)
    assert "nothing has changed since the last build" in caplog.text
    assert {p: p.stat().st_mtime_ns for p in (project / "output").rglob("*") if p.is_file()} == mtimes

    chapter = project / "chapters" / "02-findings.md"
    chapter.write_text(chapter.read_text().replace("Plain bookdown-style", "Edited bookdown-style"))
    build(project)
    cached = outputs(project / "output")
    assert "Edited bookdown-style" in cached["html/findings.html"].decode()
    def article(page: bytes) -> bytes:  # the page's head also carries the new PDF's checksum
        return page[page.index(b"<article"):page.index(b"</article>")]

    assert article(cached["html/intro.html"]) == article(first["html/intro.html"])  # untouched chapter
    assert cached["minimal.pdf"] != first["minimal.pdf"]

    build(project, tmp_path / "cold", BuildOptions(cache=False))  # no cache at all
    assert not (tmp_path / "cold" / ".cache").exists()
    cold = outputs(tmp_path / "cold")
    assert cold.keys() == cached.keys() and [name for name in cold if cold[name] != cached[name]] == []

    shutil.rmtree(project / "output" / ".cache")  # deleting the cache changes nothing but the time
    build(project)
    assert outputs(project / "output") == cached


EDITS = {
    "prose": ("chapters/02-evidence.md", "is the effect of interest", "is, we hold, the effect of interest"),
    "a citation": ("chapters/02-evidence.md", "[@undp1994]", "[@undp1994; @fruhling2003, p. 12]"),
    "a cross-referenced number": ("chapters/02-evidence.md", "| Country | Rate |", "| Year |\n|------|\n| 2012 |\n\n"
                                  ": An earlier table {#tbl:earlier}\n\n| Country | Rate |"),
    "front-matter numbering": ("chapters/00-summary.md", "| Finding |", "| Year |\n|------|\n| 2012 |\n\n"
                               ": Another table {#tbl:another}\n\n| Finding |"),
    "paper.yaml": ("paper.yaml", "title: A Structured Test Paper", "title: A Restructured Test Paper"),
    "the bibliography": ("references.bib", "Human Development Report 1994", "Human Development Report, 1994"),
}


@pytest.mark.slow
@pytest.mark.parametrize("edit", EDITS)
def test_a_build_after_an_edit_gives_the_bytes_of_a_cold_build(tmp_path, edit):
    """Each step reuses what it made before where its input is the same (chapter trees, the
    citations' rendering, conversions, laid-out pieces); after any kind of edit the result is
    byte for byte what a build from nothing gives."""
    project = copy_project("structure", tmp_path)
    # a table in the second front-matter chapter, numbered on from the first's (Table 2)
    abbreviations = project / "chapters" / "00-abbreviations.md"
    abbreviations.write_text(abbreviations.read_text().replace(
        "UNDP\n", "| A |\n|---|\n| 1 |\n\n: Abbreviated {#tbl:abbreviated}\n\nUNDP\n", 1))
    build(project)
    before = outputs(project / "output")
    name, old, new = EDITS[edit]
    path = project / name
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    build(project)
    cached = outputs(project / "output")
    build(project, tmp_path / "cold", BuildOptions(cache=False))
    cold = outputs(tmp_path / "cold")
    assert cold.keys() == cached.keys() and [name for name in cold if cold[name] != cached[name]] == []
    assert cached["structure.pdf"] != before["structure.pdf"]


@pytest.mark.slow
def test_a_preview_rebuilds_the_chapter_pages_and_leaves_the_rest_to_the_full_build(project, tmp_path):
    """What `paper serve` builds at once after a save: the edited chapter's page, with the
    single-page paper and the search index of the last build; the cache keeps what the full
    build will need, and that build then gives the bytes of a cold one."""
    build(project, options=BuildOptions(formats=("html",)))
    site = project / "output" / "html"
    index = {p.relative_to(site): p.read_bytes() for p in (site / "pagefind").rglob("*") if p.is_file()}
    entries = sorted(p.name for p in (project / "output" / ".cache").glob("??/*"))
    chapter = project / "chapters" / "02-findings.md"
    chapter.write_text(chapter.read_text().replace("Plain bookdown-style", "Previewed bookdown-style"))
    build(project, options=BuildOptions(formats=("html",), preview=True))
    assert "Previewed bookdown-style" in (site / "findings.html").read_text()
    assert "Previewed" not in (site / "all.html").read_text()  # the last build's, until the full one
    assert {p.relative_to(site): p.read_bytes() for p in (site / "pagefind").rglob("*") if p.is_file()} == index
    assert set(entries) <= {p.name for p in (project / "output" / ".cache").glob("??/*")}
    build(project, options=BuildOptions(formats=("html",)))
    assert "Previewed bookdown-style" in (site / "all.html").read_text()
    build(project, tmp_path / "cold", BuildOptions(formats=("html",), cache=False))
    cold, full = outputs(tmp_path / "cold"), outputs(project / "output")
    assert cold.keys() == full.keys() and [name for name in cold if cold[name] != full[name]] == []


@pytest.mark.slow
def test_website_builds_leave_the_pdf_in_the_cache_for_the_next_full_build(project, monkeypatch):
    """`paper serve` builds the website alone on every save: the PDF's pieces and the EPUB
    the last full build made stay in the cache, so the next full build lays out only what
    changed. The cache still holds no more than the last builds of each set of formats."""
    import paper.renderers.pdf as pdf

    build(project)
    chapter = project / "chapters" / "02-findings.md"
    for n in range(3):
        chapter.write_text(chapter.read_text() + f"\nSaved while serving, {n}.\n")
        build(project, options=BuildOptions(formats=("html",)))
    chapter.write_text(chapter.read_text().replace("Saved while serving, 2.", "Saved while serving."))
    laid = []
    lay_out_piece = pdf.lay_out_piece
    monkeypatch.setattr(pdf, "lay_out_piece", lambda job, **kw: laid.append(job) or lay_out_piece(job, **kw))
    build(project)
    assert len(laid) == 1  # the edited chapter's piece alone
    counts = []
    for n in range(3):  # each website build replaces what the one before it kept: the cache does not grow
        chapter.write_text(chapter.read_text() + f"\nSaved again, {n}.\n")
        build(project, options=BuildOptions(formats=("html",)))
        counts.append(len(list((project / "output" / ".cache").glob("??/*"))))
    assert counts[1] == counts[2]


def test_a_build_with_nothing_changed_reads_no_chapter(project, monkeypatch, caplog):
    """When every file the last build read stands as it did (size, times, inode), the build
    returns the published files and what it reported, without reading the paper; an edit that
    keeps a file's size and modification time is still seen."""
    import paper.pipeline

    first = build(project)
    caplog.set_level("INFO", logger="paper")

    def unread(*args, **kwargs):
        raise AssertionError("the paper was read")

    with monkeypatch.context() as patched:
        patched.setattr(paper.pipeline, "load_and_check", unread)
        again = build(project)
    assert "nothing has changed since the last build" in caplog.text
    assert again.artifacts == first.artifacts and [str(d) for d in again.warnings] == [str(d) for d in first.warnings]

    chapter = project / "chapters" / "02-findings.md"
    stat = chapter.stat()
    text = chapter.read_text()
    chapter.write_text(text.replace("Plain bookdown-style", "Plain bookdown-STYLE"))  # same size
    os.utime(chapter, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with monkeypatch.context() as patched:
        patched.setattr(paper.pipeline, "load_and_check", unread)
        with pytest.raises(AssertionError, match="the paper was read"):
            build(project)
    build(project)
    assert "Plain bookdown-STYLE" in (project / "output" / "html" / "findings.html").read_text()
