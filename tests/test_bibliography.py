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


def test_a_bibliography_read_before_comes_from_the_cache_as_it_was_read(tmp_path, monkeypatch):
    """A rebuild does not parse references.bib again while its bytes are the same: the entries,
    every problem and what the cited keys make of them are those of a fresh reading."""
    import paper.bibliography
    from paper.cache import Cache

    cache = Cache(tmp_path / "cache")
    cited = {"dup", "case1", "nojournal"}
    fresh = load_bibliography(BIBTEX, "broken.bib", cited=cited)
    assert load_bibliography(BIBTEX, "broken.bib", cited=cited, cache=cache) == fresh
    monkeypatch.setattr(paper.bibliography, "parsed", lambda *args: pytest.fail("parsed again"))
    assert load_bibliography(BIBTEX, "broken.bib", cited=cited, cache=cache) == fresh
    relaxed = load_bibliography(BIBTEX, "broken.bib", cited=set(), cache=cache)[1]  # what is cited still counts
    assert sum(d.level == "error" for d in relaxed) < sum(d.level == "error" for d in fresh[1])


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


DELIBERATE = {
    "title": "titles stay as written; pandoc sentence-cases English titles and loses Cu$_2$O",
    "title-short": "the same, for the short title",
    "publisher": "'Chapman and Hall/CRC' stays one publisher; pandoc splits it at 'and'",
    "page": "page ranges get an en dash",
    "URL": "\\_ in a URL is the character itself",
    "type": "@misc is a CSL document; pandoc gives no type",
}
"""Where our CSL differs from pandoc's on purpose (docs/editors-reference.md, The bibliography)."""


def names_of(people: list[dict]) -> list[tuple[str, str]]:
    """(family name with any particle, given name): the same whichever kind of particle."""
    return [(" ".join(filter(None, (p.get("non-dropping-particle") or p.get("dropping-particle"),
                                    p.get("family") or p.get("literal")))), p.get("given", "")) for p in people]


def test_references_keep_everything_pandoc_keeps():
    """Differential test: every CSL variable pandoc's BibLaTeX reader makes of an entry is in
    ours, with the same value unless DELIBERATE says why not."""
    import json

    from paper import pandoc

    theirs = json.loads(pandoc.run(["--from=biblatex", "--to=csljson"],
                                   (BIBTEX / "biblatex.bib").read_text(), BIBTEX, 0, quiet=True))
    ours, problems = load("biblatex.bib")
    assert [p for p in problems if ": error:" in p] == []
    assert len(theirs) == len(ours) == 7
    for entry in theirs:
        mine = ours[entry["id"]]
        for variable, value in entry.items():
            assert variable in mine, f"{entry['id']}: pandoc keeps {variable} = {value!r}, we lose it"
            if variable in ("author", "editor"):
                assert names_of(mine[variable]) == names_of(value), entry["id"]
            elif variable not in DELIBERATE:
                assert mine[variable] == value, (entry["id"], variable)
    assert ours["undp2013"]["title"] == ("Citizen Security with a Human Face: Evidence and Proposals for Latin "
                                         "America. Regional Human Development Report 2013–2014")
    assert ours["hoces"]["language"] == "es-ES" and ours["hoces"]["issued"] == {"date-parts": [[2010], [2012]]}
    assert ours["hoces"]["author"][0] == {"family": "Hoces de la Guardia", "given": "Fernando"}
    assert ours["hoces"]["author"][1]["non-dropping-particle"] == "van der"
    assert ours["misc1"]["title"] == "Cu<sub>2</sub>O thin films and H<sub>2</sub>O"
    assert ours["site"]["URL"] == "https://www.who.int/some_page"
    assert ours["site"]["accessed"] == {"date-parts": [[2024, 5, 1]]}


def test_problems_in_entries_nobody_cites_do_not_stop_the_build(project):
    with (project / "references.bib").open("a") as bib:
        bib.write("\n@book{unread,\n  author = {Smith, John, Doe, Jane},\n  title = {T},\n  year = 2000\n}\n"
                  "@book{Undp1994, title = {Same key but for case}, publisher = {P}, year = 2001}\n"
                  "@book{notitle, author = {Roe, Ann}, publisher = {P}, year = 2001}\n")
    from paper.pipeline import diagnose

    _paper, found = diagnose(project)
    said = {d.code: (d.level, d.message) for d in found if str(d.location.path) == "references.bib"}
    assert said["broken-names"][0] == "warning" and "'unread' is not cited" in said["broken-names"][1]
    assert said["key-case"][0] == "warning"
    assert said["missing-title"][0] == "warning"
    chapter = project / "chapters" / "01-intro.md"
    chapter.write_text(chapter.read_text() + "\nAs [@unread] says.\n")
    _paper, found = diagnose(project)
    assert any(d.code == "broken-names" and d.level == "error" for d in found)
