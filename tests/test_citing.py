"""citeproc on the citations alone (or on the blocks that cite) gives what citeproc gives on the
whole document: every style the tool ships, a note style, a style whose citations end with a
full stop, and a list of references per chapter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paper import citing, pandoc
from paper.config import STYLES

WORKS = [
    {"id": "silva", "type": "book", "title": "Policing the city", "issued": {"date-parts": [[2010]]},
     "author": [{"family": "Silva", "given": "Ana"}, {"family": "Rocha", "given": "Joao"},
                {"family": "Lima", "given": "Rui"}]},
    {"id": "silva2", "type": "book", "title": "Policing the town", "issued": {"date-parts": [[2010]]},
     "author": [{"family": "Silva", "given": "Ana"}]},
    {"id": "diaz", "type": "article-journal", "title": "Crime data", "container-title": "Review",
     "issued": {"date-parts": [[2004]]}, "author": [{"family": "Diaz", "given": "Eva"}]},
]

TEXT = """\
# One {.chapter}

Security is local [@silva, p. 4]. Some say so [@silva2; @diaz]. As @silva argues.
Again [@silva].[^a] And "quoted" [-@diaz].

[^a]: In a note, [@diaz] and @silva2 too.

Term [@diaz]
:   Its definition [@silva].

| Rate | Year |
|------|------|
| 3 [@silva2] | 2010 |

: Rates [@diaz]

> Quoted text [@silva, chap. 2].

# Two {.chapter}

## A heading with @diaz

A paragraph that cites nothing but links to [an entry](#ref-diaz) and [the list](#refs).

As @etal.

::: {#refs}
:::
"""

NOTE_STYLE = """<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="note" version="1.0">
  <info><title>A test note style</title><id>test-note</id><updated>2026-12-03T00:00:00+00:00</updated></info>
  <citation>
    <layout suffix="." delimiter="; ">
      <choose>
        <if position="ibid"><text term="ibid"/></if>
        <else><names variable="author"><name/></names><text variable="title" prefix=", " font-style="italic"/></else>
      </choose>
    </layout>
  </citation>
  <bibliography><layout suffix="."><names variable="author"><name/></names><text variable="title" prefix=". "/></layout>
  </bibliography>
</style>
"""

ABBREVIATED = """<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">
  <info><title>Authors then et al.</title><id>test-etal</id><updated>2026-12-03T00:00:00+00:00</updated></info>
  <citation><layout delimiter="; ">
    <group delimiter=" "><names variable="author"><name/></names><text value="et al."/></group>
  </layout>
  </citation>
  <bibliography><layout><names variable="author"><name/></names><text variable="title" prefix=". "/></layout>
  </bibliography>
</style>
"""


def tree(text: str) -> dict:
    return json.loads(pandoc.run(["--from=markdown", "--to=json"], text, Path("."), 0))


@pytest.mark.parametrize("style", ["chicago-author-date", "apa", "ieee", "note", "etal"])
@pytest.mark.parametrize("per_chapter", [False, True])
def test_citations_alone_give_what_citeproc_gives_on_the_whole_document(tmp_path, style, per_chapter):
    works = tmp_path / "works.json"
    works.write_text(json.dumps(WORKS + [{**WORKS[1], "id": "etal"}]), encoding="utf-8")
    csl = STYLES / f"{style}.csl"
    if style in ("note", "etal"):
        csl = tmp_path / f"{style}.csl"
        csl.write_text(NOTE_STYLE if style == "note" else ABBREVIATED, encoding="utf-8")
    args = ["--from=json", "--to=json", "--metadata=lang:en", "--metadata=link-citations:true",
            f"--bibliography={works}", f"--csl={csl}"]
    if per_chapter:
        args += ["--metadata=paper-references-title:References", f"--lua-filter={pandoc.filter_path('references.lua')}"]
    else:
        args.append("--citeproc")
    text = TEXT.replace("::: {#refs}\n:::\n", "") if per_chapter else TEXT
    document = tree(text)
    whole = json.loads(pandoc.run(args, json.dumps(document), tmp_path, 0))
    runs = []

    def run(part):
        runs.append(part)
        return json.loads(pandoc.run(args, json.dumps(part), tmp_path, 0))

    citing.resolve(document, per_chapter, run)
    assert document["blocks"] == whole["blocks"]
    # the fast way is taken where citations are text in the line, the blocks otherwise
    assert len(runs) == (2 if style == "note" else 1)
    if style == "etal":  # citeproc dropped the full stop after "Silva et al."; so was it here
        written = pandoc.run(["--from=json", "--to=plain", "--wrap=none"], json.dumps(whole), tmp_path, 0)
        assert "As Ana Silva et al.\n" in written and "et al.." not in written


def test_an_edit_to_the_prose_gives_citeproc_the_same_input():
    """What citeproc is given (and pandoc's cache keys on) does not change with the words
    around the citations, so an edit to them runs no citeproc."""
    given = []

    def run(part):
        given.append(json.dumps(part))
        return {"blocks": [{"t": "Para", "c": [b["c"][0]]} if b["t"] == "Para" else b for b in part["blocks"]]}

    for text in (TEXT, TEXT.replace("Security is local", "Security, we found, is above all local")):
        citing.resolve(tree(text), False, run)
    assert len(given) == 2 and given[0] == given[1]
