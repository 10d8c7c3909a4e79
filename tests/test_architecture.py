"""The house rules a newcomer relies on: layers that do not cross, renderers behind one
contract, every message code and paper.yaml key declared once and documented."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from pathlib import Path

import pytest

from paper import codes, config
from paper.cli import main
from paper.config import KEYS
from paper.diagnostics import error
from paper.model import Artifact, PaperMeta
from paper.pipeline import BuildOptions, build
from paper.renderers import registry
from paper.renderers.pdf.pieces import RUNNING_TITLE_ATTRIBUTE

PACKAGE = Path(__file__).resolve().parent.parent / "paper"
REFERENCE = PACKAGE.parent / "docs" / "editors-reference.md"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """Which of the package's modules each module imports, at its top or inside a function."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")
                if node.level:
                    base = base[:len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.startswith("paper"):
                    found.add(target)
                    found.update(f"{target}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("paper"))
        graph[name] = found
    modules = set(graph)
    return {name: {t for t in targets if t in modules and t != name} for name, targets in graph.items()}


def test_the_import_graph_has_no_cycle():
    graph = imports()
    # a package's __init__ importing its own submodules is how packages work; elsewhere none
    edges = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in graph.items()}
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                pytest.fail("import cycle: " + " -> ".join(path[path.index(target):] + [target]))
            if target not in state:
                visit(target, path + [target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])


def test_load_check_and_assemble_import_nothing_from_the_renderers():
    graph = imports()
    for stage in ("paper.loader", "paper.check", "paper.assemble", "paper.config", "paper.bibliography"):
        seen, todo = set(), [stage]
        while todo:
            module = todo.pop()
            if module in seen:
                continue
            seen.add(module)
            todo += graph[module]
        assert not {m for m in seen if m.startswith("paper.renderers")}, stage


@pytest.mark.slow
def test_a_new_format_is_one_registration(project):
    """A toy format, registered here without touching the pipeline: built when asked,
    published, offered by the website, and listed among the formats one can ask for."""

    def render_txt(job: registry.EditionJob) -> Artifact:
        target = job.staging / f"{job.manuscript.paper.slug}.txt"
        target.write_text(" ".join(c.title for c in job.manuscript.chapters) + "\n", encoding="utf-8")
        return Artifact("txt", target)

    registry.register(registry.Format("txt", "the chapter titles as text", render_txt, offers=("",)))
    try:
        assert "txt" in registry.formats()
        result = build(project, options=BuildOptions(formats=("txt", "html")))
        made = {a.format: a.path for a in result.artifacts}
        assert made["txt"].read_text().startswith("Introduction")
        downloads = project / "output" / "html" / "downloads"
        assert (downloads / "minimal.txt").read_bytes() == made["txt"].read_bytes()
        assert "minimal.txt" in (project / "output" / "html" / "index.html").read_text()
    finally:
        registry.unregister("txt")
    assert "txt" not in registry.formats()


@pytest.mark.slow
def test_a_format_needed_but_not_asked_for_is_made_and_not_published(project):
    result = build(project, options=BuildOptions(formats=("epub",)))
    assert [a.format for a in result.artifacts] == ["epub"]
    assert not (project / "output" / "minimal.pdf").exists()
    assert registry.unasked(("epub",)) == [("pdf", "epub")]


def test_every_code_in_the_package_is_declared_and_every_declared_code_is_used():
    constants = set()
    for path in PACKAGE.rglob("*.py"):
        if path.name != "codes.py":
            constants.update(node.value for node in ast.walk(ast.parse(path.read_text()))
                             if isinstance(node, ast.Constant) and isinstance(node.value, str))
    said = {code for text in constants for code in re.findall(r"\[([a-z]+(?:-[a-z]+)+)\]", text)}
    unused = [code for code in codes.CODES if code not in constants | said]
    assert not unused, f"declared but never reported: {unused}"
    with pytest.raises(ValueError, match="not declared"):  # an undeclared code cannot even be made
        error(Path("x"), 1, "no-such-code", "text")


def test_the_reference_lists_every_message_as_declared():
    text = REFERENCE.read_text()
    block = text.split("<!-- messages:", 1)[1].split("-->", 1)[1].split("<!-- /messages -->")[0]
    assert block.strip() == codes.markdown(), "run: python -m paper.codes, and paste the table into the reference"


def test_the_reference_lists_every_paper_yaml_key_as_declared():
    text = REFERENCE.read_text()
    block = text.split("<!-- keys:", 1)[1].split("-->", 1)[1].split("<!-- /keys -->")[0]
    assert block.strip() == config.markdown(), "run: python -m paper.config, and paste the table into the reference"


def test_the_reference_lists_every_series_yaml_key_as_declared():
    from paper import series

    text = REFERENCE.read_text()
    block = text.split("<!-- series-keys:", 1)[1].split("-->", 1)[1].split("<!-- /series-keys -->")[0]
    assert block.strip() == config.markdown(series.KEYS), "run: python -m paper.series, and paste the table"


def test_every_paper_yaml_key_fills_a_field_and_every_field_has_a_key():
    fields = {f.name for f in dataclasses.fields(PaperMeta)}
    assert {key.replace("-", "_") for key in KEYS} <= fields
    # parts come from chapters:, translators from editions:, valid says whether the file could be used at all
    assert fields - {key.replace("-", "_") for key in KEYS} == {"parts", "translators", "valid"}


def test_check_json_reports_only_declared_codes(project, capsys):
    chapter = project / "chapters" / "01-intro.md"
    chapter.write_text(chapter.read_text() + "\n[@nobody] ![](missing.png) [x](#nowhere)\n")
    (project / "paper.yaml").write_text((project / "paper.yaml").read_text() + "colour: blue\n")
    assert main(["check", "--project", str(project), "--format", "json"]) == 1
    found = json.loads(capsys.readouterr().out)["diagnostics"]
    assert {"unknown-citation", "missing-image", "broken-link", "unknown-key"} <= {d["code"] for d in found}
    assert all(d["code"] in codes.CODES for d in found)


def test_ignore_silences_a_warning_and_refuses_an_error(project, capsys):
    bib = project / "references.bib"
    bib.write_text(bib.read_text() + "\n@book{spare2001,\n  title = {Spare},\n  author = {Nobody, A.},\n"
                   "  publisher = {P},\n  year = 2001\n}\n")
    assert main(["check", "--project", str(project)]) == 0
    before = capsys.readouterr().out
    assert "[unused-reference]" in before
    assert main(["check", "--project", str(project), "--ignore", "unused-reference"]) == 0
    assert "[unused-reference]" not in capsys.readouterr().out
    (project / "paper.yaml").write_text((project / "paper.yaml").read_text()
                                        + "ignore: [unused-reference, unknown-citation]\n")
    assert main(["check", "--project", str(project)]) == 1
    out = capsys.readouterr().out
    assert "'unknown-citation' is an error, which cannot be ignored" in out
    assert main(["check", "--project", str(project), "--ignore", "no-such-thing"]) == 1


def test_deposit_records_are_checked_once_there_is_a_doi(project, capsys):
    assert main(["check", "--project", str(project), "--strict"]) in (0, 1)
    assert "[deposit-metadata]" not in capsys.readouterr().out
    main(["check", "--project", str(project), "--deposit"])
    assert "the DataCite record lacks doi" in capsys.readouterr().out
    config = project / "paper.yaml"
    config.write_text(config.read_text().replace("publisher: Test Press\n", "") + "doi: 10.1234/abcd\n")
    main(["check", "--project", str(project)])
    out = capsys.readouterr().out
    assert "the DataCite record lacks publisher" in out and "lacks doi" not in out


def test_the_running_title_contract_is_kept_by_filter_stylesheet_and_pieces():
    assert f'"{RUNNING_TITLE_ATTRIBUTE}"' in (PACKAGE / "filters" / "chapters.lua").read_text()
    assert f"attr(data-{RUNNING_TITLE_ATTRIBUTE})" in (PACKAGE / "templates" / "pdf.css").read_text()


@pytest.mark.slow
def test_weasyprint_warnings_are_diagnostics_that_strict_sees(project, capsys):
    """A rule WeasyPrint ignores in the project's stylesheet is a warning naming that file,
    not a line lost on the terminal; --strict stops on it, also when the layout was cached."""
    templates = project / "templates"
    templates.mkdir()
    builtin = (PACKAGE / "templates" / "pdf.css").read_text()
    (templates / "pdf.css").write_text(builtin + "\nh1 { colr: red; }\n")
    assert main(["build", "--project", str(project), "--format", "pdf"]) == 0
    err = capsys.readouterr().err
    assert "templates/pdf.css: warning: WeasyPrint, laying out the PDF: Ignored `colr: red`" in err
    assert "unknown property; correct the stylesheet" in err and "[weasyprint]" in err
    assert main(["build", "--project", str(project), "--format", "pdf"]) == 0  # nothing changed
    assert "Ignored `colr: red`" in capsys.readouterr().err
    assert main(["build", "--project", str(project), "--format", "pdf", "--strict"]) == 1
    assert "templates/pdf.css: error: WeasyPrint" in capsys.readouterr().err
    assert main(["build", "--project", str(project), "--format", "pdf", "--ignore", "weasyprint"]) == 0
    assert "colr" not in capsys.readouterr().err


def test_the_downloads_paper_yaml_may_name_are_the_formats_that_offer_files():
    assert set(config.DOWNLOADS) == {f.name for f in registry.REGISTRY.values() if f.offers}
    assert set(config.DEFAULT_DOWNLOADS) == {f.name for f in registry.REGISTRY.values() if f.offers and f.default}
