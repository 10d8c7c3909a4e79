"""Bad input: a clear path:line message, exit 1, and the previous output left untouched."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, copy_project, replace_in

import paper.renderers.epub
from paper.cli import main


def run(project: Path, *args: str) -> int:
    return main(["build", "--project", str(project), *args])


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".build.lock"}


def errors(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if ": error: " in line]


def test_broken_chapter_names_file_and_line_and_keeps_previous_output(project, capsys):
    assert run(project) == 0
    before = snapshot(project / "output")
    chapter = project / "chapters" / "02-findings.md"
    source = chapter.read_bytes()
    chapter.write_text("---\ntitle: Findings\nsession: [unclosed\n---\n\nText.\n")
    assert run(project) == 1
    assert any(line.startswith(f"{chapter}:3: error: invalid YAML: expected ',' or ']'")
               for line in errors(capsys))
    assert snapshot(project / "output") == before
    assert not list((project / "output").glob(".staging-*"))
    chapter.write_bytes(source)


@pytest.mark.parametrize("formats", ["pdf", "html", "epub", "pdf,html,epub"])
def test_unknown_citation_fails_every_format_and_replaces_nothing(project, capsys, formats):
    assert run(project) == 0
    before = snapshot(project / "output")
    replace_in(project / "chapters" / "02-findings.md", "[@undp1994;", "[@undp1995;")
    assert run(project, "--format", formats) == 1
    found = errors(capsys)
    assert found == [line for line in found if "unknown-citation" in line] and len(found) == 1
    assert found[0].endswith("02-findings.md:7:14: error: citation @undp1995 is not in the "
                             "bibliography: did you mean @undp1994? [unknown-citation]")
    assert snapshot(project / "output") == before


def test_every_problem_in_paper_yaml_is_reported_at_once(project, capsys):
    replace_in(project / "paper.yaml", "date: 2020-05-04", "date: 4 May 2020")
    replace_in(project / "paper.yaml", "language: en", "language: English\ntitel: Typo")
    replace_in(project / "paper.yaml", "0000-0002-1825-0097", "0000-0002-1825-0098")
    assert run(project) == 1
    found = errors(capsys)
    assert any("paper.yaml:11: error: '4 May 2020' is not a date" in e for e in found)
    assert any("paper.yaml:12: error: 'English' is not a BCP 47 language tag" in e for e in found)
    assert any("paper.yaml:13: error: unknown key 'titel': did you mean 'title'?" in e for e in found)
    assert any("paper.yaml:9: error: '0000-0002-1825-0098' is not a valid ORCID" in e for e in found)
    assert len(found) == 4


def test_missing_image_and_missing_title(project, capsys):
    replace_in(project / "chapters" / "01-intro.md", "square.svg", "circle.svg")
    (project / "chapters" / "03-empty.md").write_text("Text with no heading.\n")
    assert run(project) == 1
    found = errors(capsys)
    assert any("01-intro.md:16:1: error: image ../images/circle.svg not found" in e for e in found)
    assert any("03-empty.md:1: error: the chapter has no title" in e for e in found)


def test_bibliography_problems_point_at_their_entries(project, capsys):
    bib = project / "references.bib"
    bib.write_text(bib.read_text() + "\n@book{undp1994,\n  title = {Again},\n  year = 1994\n}\n"
                   "\n@article{broken,\n  title = {No end\n")
    replace_in(project / "chapters" / "02-findings.md", "[@undp1994;", "[@undp1994; @broken;")
    assert run(project) == 1
    found = capsys.readouterr().err.splitlines()
    # the cited key defined twice: nobody can tell which entry is meant
    assert any("references.bib:20: error: the key 'undp1994' is used by two entries" in e for e in found)
    # the entry that cannot be read is left out, and its citation is the error
    assert any("references.bib:25: warning: this entry cannot be read" in e for e in found)
    assert any("02-findings.md:7:" in e and "error: citation @broken is not in the bibliography" in e
               for e in found)


def test_remote_image_is_refused(project, capsys):
    replace_in(project / "chapters" / "01-intro.md", "../images/square.svg",
               "https://example.org/square.png")
    assert run(project) == 1
    assert any("image https://example.org/square.png is on the internet" in e for e in errors(capsys))


def test_chapter_order_from_paper_yaml(project, capsys):
    (project / "paper.yaml").write_text((project / "paper.yaml").read_text()
                                        + "chapters:\n  - 02-findings.md\n  - 03-missing.md\n")
    assert run(project) == 1
    found = errors(capsys)
    assert any("paper.yaml:20: error: chapters/03-missing.md does not exist" in e for e in found)
    replace_in(project / "paper.yaml", "  - 03-missing.md\n", "")
    assert run(project, "--format", "html") == 0
    err = capsys.readouterr().err
    assert "01-intro.md: warning: this chapter is not listed in paper.yaml" in err
    site = project / "output" / "html"
    assert sorted(p.name for p in site.glob("*.html")) == ["all.html", "findings.html", "index.html",
                                                          "references.html", "search.html"]


def test_only_the_formats_asked_for_are_written(project):
    assert run(project, "--format", "pdf") == 0
    assert sorted(p.name for p in (project / "output").iterdir()) == [".build.lock", ".cache", ".generations",
                                                                      "current", "minimal.pdf"]
    assert sorted(p.name for p in (project / "output" / "current").iterdir()) == ["minimal.pdf"]
    assert run(project, "--format", "odt") == 1  # not a format the tool makes
    assert run(project, "--format", "docx") == 0  # the Word copy, asked for: the PDF built before stays
    assert sorted(p.name for p in (project / "output" / "current").iterdir()) == ["minimal.docx", "minimal.pdf"]


def test_failing_renderer_leaves_no_half_written_file(project, monkeypatch):
    assert run(project, "--format", "pdf,epub") == 0
    before = snapshot(project / "output")

    def broken(*args):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(paper.renderers.epub, "make_epub", broken)
    replace_in(project / "chapters" / "02-findings.md", "Plain", "Changed")
    with pytest.raises(RuntimeError):
        run(project, "--format", "pdf,epub")
    assert snapshot(project / "output") == before


def test_build_py_exits_non_zero_on_bad_project(tmp_path):
    (tmp_path / "chapters").mkdir()
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--project", str(tmp_path)],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1
    assert "paper.yaml: error: no paper.yaml" in result.stderr
    assert "chapters: error: chapters/ has no chapter files" in result.stderr


def test_check_reports_without_writing(project, capsys):
    assert main(["check", "--project", str(project)]) == 0
    assert "checked paper.yaml and 2 chapters: 0 error(s), 0 warning(s)" in capsys.readouterr().out
    (project / "chapters" / "09-index.md").write_text("# Index\n\nText [@nobody2020].\n")
    assert main(["check", "--project", str(project)]) == 1
    assert "09-index.md:3:7: error: citation @nobody2020 is not in the bibliography" in capsys.readouterr().out
    assert not (project / "output").exists()


def test_pdf_never_reads_outside_the_project(project, tmp_path, capsys):
    secret = tmp_path / "outside.svg"
    secret.write_text((project / "images" / "square.svg").read_text())
    (project / "templates").mkdir()
    (project / "templates" / "pdf.css").write_text(
        f'body {{ background: url("{secret.as_uri()}"); }}\n')
    assert run(project, "--format", "pdf") == 1
    (line,) = errors(capsys)
    assert f"refused to read {secret.name}" in line and "[refused-url]" in line
    assert not (project / "output" / "minimal.pdf").exists()


def test_a_broken_bookdown_reference_is_reported_at_its_line(tmp_path, capsys):
    """\\@ref(fig:…) is bookdown's spelling of @fig:…: the message gives the line it is on, not
    the chapter's first line."""
    root = copy_project("bookdown", tmp_path)
    chapter = root / "chapters" / "01-introduction.Rmd"
    lines = chapter.read_text().count("\n")
    chapter.write_text(chapter.read_text() + "\nSee Figure \\@ref(fig:nothing-here) for more.\n")
    assert run(root, "--format", "html") == 1
    assert errors(capsys) == [f"{chapter}:{lines + 2}:13: error: @fig:nothing-here leads nowhere: no figure has "
                              "that id; give the figure the id {#fig:nothing-here}, or correct the reference "
                              "[broken-reference]"]
    # bookdown's tab: is our tbl:, and the message still finds the line
    chapter.write_text(chapter.read_text().replace("\\@ref(fig:nothing-here)", "\\@ref(tab:no-table)"))
    assert run(root, "--format", "html") == 1
    assert [line.split(" leads nowhere")[0] for line in errors(capsys)] == [
        f"{chapter}:{lines + 2}:13: error: @tbl:no-table"]
