"""references.bib as real reference managers write it, and as people break it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECTS, REPO

from paper.bibliography import load_bibliography

BIBTEX = PROJECTS / "bibtex"


def load(name: str, folder: Path = BIBTEX):
    references, problems = load_bibliography(folder, name)
    return {r.key: r.csl for r in references}, [str(p) for p in problems]


def test_real_world_export_quirks():
    csl, problems = load("realworld.bib")  # starts with a byte-order mark
    assert problems == ["realworld.bib:68: warning: @leaflet is not a BibTeX or biblatex type; "
                        "treated as @misc [unknown-entry-type]"]
    assert csl["souza2010"]["publisher"] == "Fictional University Press, Springfield"  # @string # "..."
    assert csl["souza2010"]["author"][1] == {"family": "Pérez García", "given": "Jorge"}
    assert csl["souza2010"]["title"] == 'Safer Streets in <span class="nocase">Latin America</span>'
    assert csl["lima2015"]["type"] == "article-journal"  # @Article( ... )
    assert csl["lima2015"]["author"][1] == {"family": "Çelik", "given": "Deniz"}
    assert csl["lima2015"]["title"].endswith('<span class="nocase">São Paulo</span>')
    assert csl["lima2015"]["page"] == "10–20"
    assert csl["lima2015"]["issued"] == {"date-parts": [[2015, 3]]}
    assert csl["chain2019"]["author"] == [{"family": "Berg", "given": "Jan",
                                           "non-dropping-particle": "van den"}]
    assert csl["portal2020"]["URL"] == "https://example.org/data?x=1&y=2%20z_w~v"
    assert csl["leaflet2021"]["author"] == [{"literal": "Example Network for Safer Cities"}]
    assert csl["survey2022"]["type"] == "dataset"
    assert csl["weird2023"]["type"] == "document"


def test_crossref_chains_inherit_fields():
    csl, _problems = load("realworld.bib")
    for key in ("talk2018", "chain2019"):  # chain2019 -> talk2018 -> conf2018
        assert csl[key]["container-title"] == "Proceedings of the Example Conference on Safety"
        assert csl[key]["publisher"] == "Fictional University Press"
        assert csl[key]["editor"] == [{"family": "Nakamura", "given": "Kenji"}]
        assert csl[key]["issued"] == {"date-parts": [[2018]]}
    assert csl["chain2019"]["title"] == "A Chapter at the End of a Chain"


def test_windows_line_endings(tmp_path):
    data = (BIBTEX / "realworld.bib").read_bytes().replace(b"\n", b"\r\n")
    (tmp_path / "references.bib").write_bytes(data)
    csl, problems = load("references.bib", tmp_path)
    assert len(csl) == 9 and len(problems) == 1


def test_broken_entries_are_reported_with_their_lines():
    _csl, problems = load("broken.bib")
    expected = [
        "broken.bib:5: error: the key 'dup' is used by two entries",
        "broken.bib:11: warning: the key 'case1' differs from 'Case1' only by upper/lower case",
        "broken.bib:15: warning: 'Smith, John andDoe, Jane' looks like two names run together",
        "broken.bib:19: error: 'Smith, John, Doe, Jane' cannot be read as a name (too many commas)",
        "broken.bib:23: warning: these names are separated by ';'",
        "broken.bib:26: warning: @article 'nojournal' has no journal or journaltitle",
        "broken.bib:30: warning: 'nowhere' is neither in braces nor a defined @string",
        "broken.bib:32: error: this entry cannot be read",
    ]
    assert sorted(problems, key=lambda p: int(p.split(":")[1])) == [
        next(p for p in problems if p.startswith(e)) for e in expected]
    assert len(problems) == len(expected)


def test_circular_crossref_is_an_error():
    _csl, problems = load("cycle.bib")
    assert problems == ["cycle.bib:4: error: crossref entries refer to each other in a circle "
                        "(first → second → third → first): remove one of the crossref fields "
                        "[crossref-cycle]"]


def test_circular_crossref_fails_the_build_fast(project):
    """A cycle in a cited entry stops the build; in entries nobody cites it is a warning."""
    shutil.copy(BIBTEX / "cycle.bib", project / "references.bib")
    chapter = project / "chapters" / "01-intro.md"
    chapter.write_text(chapter.read_text() + "\nSee the first paper [@first].\n")
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--project", str(project)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "references.bib:4: error: crossref entries refer to each other in a circle" in result.stderr


def test_a_file_that_is_not_utf8(tmp_path):
    (tmp_path / "references.bib").write_bytes(
        b"@book{a,\n  title = {Seguran\xe7a},\n  year = 2000\n}\n")
    csl, problems = load("references.bib", tmp_path)
    assert csl == {}
    assert problems[0].startswith("references.bib:2: error: this line is not UTF-8 text")


@pytest.mark.parametrize("field, value, expected", [
    ("title", r"{The {UN} in {\'A}frica}", '<span class="nocase">The UN in África</span>'),
    ("title", "Half the Story: 50% of Cases", "Half the Story: 50% of Cases"),
    ("title", r"Na{\c{c}}{\~a}o and ``Quotes''", "Nação and “Quotes”"),
    ("pages", "29--38", "29–38"),
])
def test_latex_to_unicode(tmp_path, field, value, expected):
    fields = {"title": "T", "year": "2000", field: value}
    body = ",\n".join(f"  {name} = {{{text}}}" for name, text in fields.items())
    (tmp_path / "references.bib").write_text(f"@misc{{x,\n{body}\n}}\n")
    csl, _problems = load("references.bib", tmp_path)
    target = {"title": "title", "pages": "page"}[field]
    assert csl["x"][target] == expected
