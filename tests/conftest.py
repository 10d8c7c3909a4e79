"""Shared fixtures: sample projects copied to a temporary folder, and builds made once."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from paper.assemble import chapter_numbers
from paper.pipeline import build

REPO = Path(__file__).resolve().parent.parent
PROJECTS = Path(__file__).resolve().parent / "projects"
EPUBCHECK = Path("/usr/share/java/epubcheck.jar")
CHROMIUM = Path("/usr/bin/chromium")
JAVA_QUICK = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
"""For a short run of a Java checker: half the processor time, the same result."""
FAST = {"test_units", "test_architecture", "test_golden", "test_bibliography", "test_workflow", "test_citing",
        "test_incremental", "test_import"}
"""Modules of the fast loop (`pytest -m "not slow"`): tests on tiny inputs, none building a
whole paper in every format (the few that do are marked slow one by one)."""


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="write the Lua filters' golden trees (tests/golden/) instead of comparing them")


def pytest_configure(config):
    # No test depends on the caller's environment: reproducible-build CI exports
    # SOURCE_DATE_EPOCH, and a time zone or locale must not change what is built or read.
    os.environ.pop("SOURCE_DATE_EPOCH", None)
    os.environ["TZ"] = "UTC"
    os.environ["LC_ALL"] = os.environ["LANG"] = "C.UTF-8"
    # hypothesis keeps its examples and caches in a temporary folder, not .hypothesis/ here
    import hypothesis.configuration

    hypothesis.configuration.set_hypothesis_home_dir(tempfile.mkdtemp(prefix="hypothesis-"))


def pytest_collection_modifyitems(items):
    for item in items:
        if item.module.__name__.rpartition(".")[2] not in FAST:
            item.add_marker(pytest.mark.slow)


def outputs(folder: Path) -> dict[str, bytes]:
    """Every file a build published, by path: what output/current holds (the files output/
    links to), or a folder's files, never the lock or the cache (output/.cache/)."""
    if (folder / "current").is_dir():
        folder = (folder / "current").resolve()
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".build.lock" and ".cache" not in p.relative_to(folder).parts}


def copy_project(name: str, dest: Path) -> Path:
    target = dest / name
    shutil.copytree(PROJECTS / name, target)
    return target


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the minimal sample project that a test may change."""
    return copy_project("minimal", tmp_path)


@pytest.fixture(scope="session")
def minimal_output(tmp_path_factory) -> Path:
    """The minimal sample project, built once in all three formats."""
    root = copy_project("minimal", tmp_path_factory.mktemp("minimal"))
    build(root)
    return root / "output"


@pytest.fixture(scope="session")
def samples(tmp_path_factory):
    """The sample projects of tests/projects/, each built once for the whole session (its tests
    only read what was built): name -> (project folder, BuildResult)."""
    built: dict[str, tuple[Path, object]] = {}

    def get(name: str) -> tuple[Path, object]:
        if name not in built:
            root = copy_project(name, tmp_path_factory.mktemp(name))
            built[name] = (root, build(root))
        return built[name]

    return get


@pytest.fixture(scope="session")
def paper_output(tmp_path_factory) -> Path:
    """This repository's own discussion paper, built once into a temporary folder."""
    out = tmp_path_factory.mktemp("paper-output")
    build(REPO, out)
    return out


def contents_pages(reader) -> dict[str, str]:
    """Chapter title (with its label, "Chapter 1 …") -> page number as printed on the contents page
    (arabic, or roman for the front matter). Part headings carry no page and are left out."""
    texts = [page.extract_text() for page in reader.pages]
    contents = next(t for t in texts if t.lstrip().startswith("Contents"))
    return {m.group(1).strip(): m.group(2)
            for m in re.finditer(r"^(.+?)[ .]*?(\d+|[ivxlc]+)\s*$", contents, re.M)
            if not m.group(1).startswith("Contents")}


def labelled_titles(paper) -> list[str]:
    """Each chapter's title as the contents print it: "Chapter 1 Title", "Appendix A Title"."""
    return [f"{label} {chapter.title}".strip()
            for chapter, (_role, _number, label) in zip(paper.chapters, chapter_numbers(paper), strict=True)]


def heading_text(page, selector: str = "h1") -> str:
    """A heading's text without its "Chapter 2" label, as a browser shows it."""
    return page.locator(selector).first.evaluate(
        "h => [...h.childNodes].filter(n => !(n.classList && n.classList.contains('heading-number')))"
        ".map(n => n.textContent).join('').trim()")


def page_index(reader, folio: int | str) -> int:
    """The index of the page whose printed number (its page label) is `folio`."""
    return reader.page_labels.index(str(folio))


def starts_page(reader, folio: int | str, title: str) -> bool:
    """Whether the page numbered `folio` begins with the title, however the title is wrapped
    (and whatever the case of its "CHAPTER 1" label)."""
    text = " ".join(reader.pages[page_index(reader, folio)].extract_text().split())
    return text.casefold().startswith(title.casefold())


def epubcheck(epub: Path, report: Path) -> list[dict]:
    """Run Debian's epubcheck; return its messages of severity WARNING, ERROR or FATAL."""
    assert EPUBCHECK.is_file(), "epubcheck is not installed: apt-get install epubcheck"
    subprocess.run(["java", *JAVA_QUICK, "-jar", str(EPUBCHECK), str(epub), "--json", str(report)],
                   capture_output=True, timeout=300)
    messages = json.loads(report.read_text())["messages"]
    return [m for m in messages if m["severity"] in ("WARNING", "ERROR", "FATAL")]


OPF = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
XHTML = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}


class Package:
    """An EPUB's package document (content.opf), parsed: its metadata and manifest."""

    def __init__(self, epub: Path):
        self.root = ElementTree.fromstring(epub_file(epub, "content.opf"))
        self.metadata = self.root.find("opf:metadata", OPF)

    def dc(self, name: str) -> list[str]:
        """The texts of every dc:<name> element, e.g. dc("creator")."""
        return [(e.text or "").strip() for e in self.metadata.findall(f"dc:{name}", OPF)]

    def dc_element(self, name: str, text: str) -> ElementTree.Element:
        return next(e for e in self.metadata.findall(f"dc:{name}", OPF) if (e.text or "").strip() == text)

    def meta(self, prop: str, refines: str | None = None) -> list[str]:
        """The values of the <meta property="…"> elements (refining `refines` if given)."""
        return [(e.text or "").strip() for e in self.metadata.findall("opf:meta", OPF)
                if e.get("property") == prop and (refines is None or e.get("refines") == refines)]

    def items(self, properties: str) -> list[ElementTree.Element]:
        """Manifest items with this property, e.g. "cover-image"."""
        return [e for e in self.root.findall("opf:manifest/opf:item", OPF)
                if properties in (e.get("properties") or "").split()]


def epub_nav(epub: Path, kind: str = "toc") -> list[tuple[str, str]]:
    """The (text, href) of each link in the navigation document's <nav epub:type=kind>."""
    root = ElementTree.fromstring(epub_file(epub, "nav.xhtml"))
    for nav in root.iter(f"{{{XHTML['x']}}}nav"):
        if nav.get(f"{{{XHTML['epub']}}}type") == kind:
            return [("".join(a.itertext()).strip(), a.get("href") or "") for a in nav.iter(f"{{{XHTML['x']}}}a")]
    return []


def set_keys(project: Path, **values: str) -> None:
    """Set top-level keys of paper.yaml (replacing them if present)."""
    path = project / "paper.yaml"
    lines = path.read_text().splitlines()
    for key, value in values.items():
        key = key.replace("_", "-")
        lines = [line for line in lines if not line.startswith(f"{key}:")] + [f"{key}: {value}"]
    path.write_text("\n".join(lines) + "\n")

def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))

def xhtml_files(epub: Path) -> dict[str, str]:
    with zipfile.ZipFile(epub) as archive:
        return {n: archive.read(n).decode() for n in archive.namelist() if n.endswith(".xhtml")}


def epub_chapter(epub: Path, ident: str) -> tuple[str, str]:
    """The file name (as chapters link to it) and text of the EPUB's document holding `ident`."""
    found = [(name.rsplit("/", 1)[-1], text) for name, text in xhtml_files(epub).items()
             if f'<section id="{ident}"' in text]
    assert len(found) == 1, ident
    return found[0]


def epub_file(epub: Path, suffix: str) -> str:
    """The text of the one file in the EPUB whose name ends with `suffix`."""
    with zipfile.ZipFile(epub) as archive:
        names = [n for n in archive.namelist() if n.endswith(suffix)]
        assert len(names) == 1, names
        return archive.read(names[0]).decode("utf-8")


@contextlib.contextmanager
def served(folder: Path):
    """A folder served on 127.0.0.1 as a web host would serve it: yields its address."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def site(paper_output):
    """This paper's website served on 127.0.0.1, as a web host would serve it."""
    with served(paper_output / "html") as address:
        yield address


AXE = REPO / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page) -> list[tuple]:
    """axe-core's WCAG 2.2 AA rules and best practices on the page as it stands: each rule
    broken, how badly, and the first elements that break it."""
    assert AXE.is_file(), "axe-core is not installed: npm install --prefix .ci/node axe-core@4"
    page.add_script_tag(content=AXE.read_text())
    results = page.evaluate("axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa', "
                            "'best-practice']})")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in results["violations"]]


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.is_file(), "chromium is not installed: apt-get install chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield chromium
        chromium.close()
