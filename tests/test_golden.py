"""Golden tests of the Lua filters (fields.lua when a chapter is read; chapters.lua,
crossref.lua, and citeproc or references.lua when the paper is assembled): the assembled
paper of each sample project, as pandoc's native text, must equal tests/golden/<case>.native.
A change to a filter that changes the tree shows here as a readable diff; when the change is
meant, `pytest tests/test_golden.py --update-golden` writes the new files, to review in git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import copy_project

from paper import pandoc
from paper.assemble import assemble
from paper.model import BuildContext
from paper.pipeline import load_and_check

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = {"minimal": ("minimal", ""), "minimal-per-chapter": ("minimal", "reference-list: per-chapter\n"),
         "structure": ("structure", ""), "bookdown": ("bookdown", "")}


@pytest.mark.parametrize("case", sorted(CASES))
def test_filters_give_the_golden_tree(case, tmp_path, request):
    name, extra = CASES[case]
    root = copy_project(name, tmp_path)
    if extra:
        (root / "paper.yaml").write_text((root / "paper.yaml").read_text() + extra)
    paper, _warnings = load_and_check(root)
    work = tmp_path / "work"
    work.mkdir()
    manuscript = assemble(paper, BuildContext(root, root / "output", ("html",), 0), work)
    native = pandoc.run(["--from=json", "--to=native", "--columns=100"], json.dumps(manuscript.document()),
                        root, 0)
    golden = GOLDEN / f"{case}.native"
    if request.config.getoption("--update-golden"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(native, encoding="utf-8")
    assert golden.is_file(), f"no {golden.name}: run pytest {Path(__file__).name} --update-golden"
    assert native == golden.read_text(encoding="utf-8"), \
        f"the filters changed the tree of {case}; if that is meant, run pytest --update-golden and review the diff"
