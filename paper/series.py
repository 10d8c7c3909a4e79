"""A series of papers: series.yaml, the papers it holds, what each paper takes from it, and
each paper's content key (what says whether it must be built again)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .cache import tool_fingerprint
from .config import Setting, _Checker, issn_ok, read_yaml, ror_id, ror_ok
from .diagnostics import Diagnostic
from .model import SOURCE_FOLDERS
from .resolve import Resolver

SERIES_FILE = "series.yaml"
KEYS: dict[str, Setting] = {
    "name": Setting("the series' name, e.g. `South-South Discussion Papers`", required=True),
    "names": Setting("its name in the other languages, e.g. `es: Documentos de discusión Sur-Sur`"),
    "issn": Setting("the series' ISSN (checked for its check digit); printed in every paper and sent "
                    "with its deposit"),
    "publisher": Setting("the publisher of every paper, unless a paper names its own"),
    "ror": Setting("the publisher's ROR id, e.g. `https://ror.org/05dxps055` (checked for its "
                   "checksum)"),
    "depositor": Setting("who sends the DOI deposits to Crossref: `name:` and `email:` (Crossref writes "
                         "to that address about each deposit). With it, `paper series build` writes "
                         "`output/series/crossref.xml` for the papers with a DOI that it built"),
    "languages": Setting("the languages of the catalogue, its first the language of the home page: "
                         "`[en, es, pt-BR]`"),
    "site-url": Setting("where the series' website will be published; each paper's address is then "
                        "`<site-url>papers/<slug>/` unless it gives its own"),
    "papers": Setting("the papers' folders, from the series folder (`.` when the series folder is a "
                      "paper itself); by default every folder in it, or in its `papers/` folder, "
                      "that has a paper.yaml"),
    "design": Setting("what every paper takes unless its paper.yaml says otherwise: any of "
                      "`license`, `citation-style`, `page-size`, `chapter-start`, "
                      "`section-numbers`, `page-references`, `reference-list`, `lists`, "
                      "`downloads` and `ignore`. A `templates/` folder beside series.yaml is used "
                      "by every paper that has none of its own"),
}
DESIGN_KEYS = ("license", "citation-style", "page-size", "chapter-start", "section-numbers", "page-references",
               "reference-list", "lists", "downloads", "ignore")
PAPER_FILES = ("paper.yaml", "references.bib")
"""With SOURCE_FOLDERS, what a paper's build reads from its folder, for its content key (the
cover image, logos and a citation style file may be elsewhere in it: paper.yaml names them)."""


@dataclass(frozen=True)
class SeriesMeta:
    """What series.yaml says."""

    root: Path
    name: str
    names: tuple[tuple[str, str], ...] = ()
    """The series' name in each other language."""
    issn: str = ""
    publisher: str = ""
    ror: str = ""
    """The bare ROR id (05dxps055)."""
    languages: tuple[str, ...] = ("en",)
    site_url: str = ""
    papers: tuple[str, ...] = ()
    """The papers' folders, relative to `root` ("." for the series folder itself)."""
    design: tuple[tuple[str, Any, int], ...] = ()
    """paper.yaml keys every paper takes, with their value and series.yaml line."""
    depositor: tuple[str, str] = ("", "")
    """Crossref's depositor: a name and an email address."""

    def name_in(self, language: str) -> str:
        return dict(self.names).get(language, self.name)

    @property
    def templates(self) -> Path | None:
        folder = self.root / "templates"
        return folder if folder.is_dir() and Resolver(self.root).inside(folder) is not None else None


class _SeriesChecker(_Checker):
    def series(self, data: Any) -> SeriesMeta | None:  # type: ignore[override]
        if not isinstance(data, dict):
            self.fail((), "bad-type", "series.yaml must be a mapping of keys such as 'name: ...'")
            return None
        self.unknown_keys(data, KEYS)
        name = self.text(data, "name", required=True)
        issn = self.text(data, "issn").upper()
        if issn and not issn_ok(issn):
            self.fail(("issn",), "bad-issn", f"'{issn}' is not a valid ISSN (form 2049-3630, and its check "
                      "digit must be right)")
        ror = self.text(data, "ror").lower()
        if ror and not ror_ok(ror):
            self.fail(("ror",), "bad-ror", f"'{ror}' is not a ROR id: look the publisher up on ror.org and copy "
                      "its address, e.g. https://ror.org/05dxps055")
        listed = data.get("languages")
        languages = self.languages(data, str(listed[0]) if isinstance(listed, list) and listed else "") or ("en",)
        names = data.get("names") or {}
        if not isinstance(names, dict) or any(isinstance(v, (dict, list)) for v in names.values()):
            self.fail(("names",), "bad-type", "'names' maps a language to the series' name in it, e.g. "
                      "'es: Documentos de discusión Sur-Sur'")
            names = {}
        site_url = self.site_url(self.text(data, "site-url"))
        if site_url and not site_url.endswith("/"):
            site_url += "/"
        design = data.get("design") or {}
        if not isinstance(design, dict):
            self.fail(("design",), "bad-type", "'design' maps paper.yaml keys to what every paper takes, "
                      "e.g. 'page-size: A4'")
            design = {}
        self.unknown_keys(design, DESIGN_KEYS, ("design",))
        depositor = data.get("depositor") or {}
        if not isinstance(depositor, dict):
            self.fail(("depositor",), "bad-type", "'depositor' needs 'name:' and 'email:' on lines below it")
            depositor = {}
        self.unknown_keys(depositor, ("name", "email"), ("depositor",))
        who = (self.text(depositor, "name", ("depositor",), required=bool(depositor)),
               self.text(depositor, "email", ("depositor",), required=bool(depositor)))
        if who[1] and "@" not in who[1]:
            self.fail(("depositor", "email"), "bad-value", f"'{who[1]}' is not an email address")
        return SeriesMeta(self.root, name, tuple((str(k), str(v).strip()) for k, v in names.items()), issn,
                          self.text(data, "publisher"), ror_id(ror),
                          tuple(languages), site_url, self.papers(data),
                          tuple((k, v, self.lines.get(("design", k), 1)) for k, v in design.items()
                                if k in DESIGN_KEYS), who)

    def papers(self, data: dict) -> tuple[str, ...]:
        if "papers" not in data:
            return discovered(self.root)
        found = []
        for i, name in enumerate(self.text_list(data, "papers")):
            folder = Resolver(self.root).inside(self.root / name)
            if folder is None:
                self.fail(("papers", i), "outside-project", f"'{name}' is not a folder inside the series' "
                          "folder: a series builds only papers kept in it")
            elif not (self.root / folder / "paper.yaml").is_file():
                self.fail(("papers", i), "no-config", f"'{name}' has no paper.yaml: give the folder of a paper")
            elif str(folder) in found:
                self.fail(("papers", i), "duplicate-paper", f"'{name}' is listed twice")
            else:
                found.append(str(folder))
        if not found and not self.problems:
            self.fail(("papers",), "no-papers", "the series has no papers: list their folders under 'papers:'")
        return tuple(found)


def discovered(root: Path) -> tuple[str, ...]:
    """The series folder if it is a paper, then every folder in it or in its papers/ folder
    that has a paper.yaml, by name."""
    found = ["."] if (root / "paper.yaml").is_file() else []
    for base in (root, root / "papers"):
        if base.is_dir() and Resolver(root).inside(base) is not None:
            found += sorted(str(p.relative_to(root)) for p in base.iterdir()
                            if p.is_dir() and not p.name.startswith(".") and p.name != "output"
                            and (p / "paper.yaml").is_file() and Resolver(root).inside(p) is not None)
    return tuple(found)


def load_series(root: Path) -> tuple[SeriesMeta | None, list[Diagnostic]]:
    """Read and check series.yaml; the series (None if unusable) and every problem."""
    data, lines, problems = read_yaml(root, SERIES_FILE, "the series' name")
    if data is None:
        return None, problems
    checker = _SeriesChecker(root, Path(SERIES_FILE), lines)
    meta = checker.series(data)
    return (meta if not checker.problems else None), checker.problems


def series_of(paper: Path) -> tuple[SeriesMeta | None, list[Diagnostic]]:
    """The series a paper's folder belongs to: the one whose series.yaml is in the folder or
    above it (two levels for series/papers/<paper>/) and counts it among its papers."""
    paper = paper.resolve()
    for folder in (paper, paper.parent, paper.parent.parent):
        if not (folder / SERIES_FILE).is_file():
            continue
        series, problems = load_series(folder)
        if series is None:
            where = os.path.relpath(folder, paper)
            return None, [replace(d, location=replace(d.location, path=Path(where) / d.location.path))
                          for d in problems]
        if any((folder / name).resolve() == paper for name in series.papers):
            return series, []
    return None, []


def inherited(root: Path, data: Any, series: SeriesMeta | None = None
              ) -> tuple[Any, dict[str, tuple[Path, int, Any]], list[Diagnostic]]:
    """paper.yaml's data with what the paper takes from its series (`series`, else the one
    its folder belongs to), and where each taken key was written (series.yaml and its line,
    from the paper's folder)."""
    problems: list[Diagnostic] = []
    if series is None:
        series, problems = series_of(root)
    if series is None or not isinstance(data, dict):
        return data, {}, problems
    where = Path(os.path.relpath(series.root / SERIES_FILE, root.resolve()))
    merged, given = dict(data), {}
    for key, value, line in series.design:
        if key not in data:
            merged[key], given[key] = value, (where, line, value)
    if "publisher" not in data and series.publisher:
        merged["publisher"] = series.publisher
    own = data.get("series")
    if own is None or isinstance(own, dict):
        merged["series"] = {"name": series.name, **({"issn": series.issn} if series.issn else {}), **(own or {})}
    editions = data.get("editions")
    if isinstance(editions, dict) or editions is None:
        listed = data.get("languages")
        languages = listed if isinstance(listed, list) else []
        named = dict(series.names)
        merged_editions = dict(editions or {})
        for language in [str(lang) for lang in languages[1:]] + list(merged_editions):
            entry = merged_editions.get(language)
            if language in named and (entry is None or (isinstance(entry, dict) and "series" not in entry)):
                merged_editions[language] = {**(entry or {}), "series": named[language]}
        if merged_editions:
            merged["editions"] = merged_editions
    if series.site_url:
        given["site-url"] = (where, 1, series.site_url)
    return merged, given, []


def content_key(series: SeriesMeta, folder: str) -> str:
    """What a paper's build is made from: its own files (paper.yaml, references.bib, chapters/,
    images/, templates/, fonts/, styles/ and the cover, logos and style file it names), series.yaml, the
    series' templates and the tool itself. The same key: the paper's last build still stands."""
    root = series.root / folder
    digest = hashlib.sha256(tool_fingerprint().encode())
    files = [root / name for name in PAPER_FILES]
    files += sorted(p for name in SOURCE_FOLDERS if (root / name).is_dir() for p in (root / name).rglob("*"))
    files += [series.root / SERIES_FILE]
    if series.templates:
        files += sorted(series.templates.rglob("*"))
    data, _lines, _problems = read_yaml(root, "paper.yaml", "")
    if isinstance(data, dict):
        logos = data["logos"] if isinstance(data.get("logos"), list) else []
        named = [data.get("cover-image"), data.get("citation-style"), *logos]
        files += [root / str(name) for name in named if isinstance(name, str)]
    resolver = Resolver(series.root)
    for path in files:
        if path.is_file() and resolver.inside(path) is not None:
            digest.update(str(path.relative_to(series.root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


if __name__ == "__main__":  # python -m paper.series: the table of series.yaml's keys for the reference
    from .config import markdown

    print(markdown(KEYS))
