"""`paper series build`: every paper of a series built (in parallel, unchanged ones reused by
their content keys), then one website for the series: a catalogue page per language, each
paper's own site under papers/<slug>/, a search across all papers, a sitemap, OPDS feeds and a
manifest of every file with its SHA-256, published at once (publish.py)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from .diagnostics import Diagnostic, error
from .editions import edition_code, language_name
from .errors import UserError
from .labels import labels_for, long_date
from .model import Paper, PaperMeta
from .publish import carry, publish
from .renderers.html import human_size, write
from .series import SeriesMeta, content_key, load_series
from .workers import PROCESSORS

log = logging.getLogger(__name__)
OUT = Path("output") / "series"
SITE = "site"
MANIFEST = "manifest.json"
TIMES = "times.json"
DEPOSIT = "crossref.xml"
ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/terms/}"
ACQUISITION = "http://opds-spec.org/acquisition"
PAPERS_PER_WORKER = 25
"""Papers a worker of the series' pool builds before a fresh one takes its place."""


@dataclass(frozen=True)
class Entry:
    """One edition of one paper, as its own OPDS feed describes it (hrefs from its site's top)."""

    ident: str
    title: str
    language: str
    issued: str
    updated: str
    authors: tuple[str, ...]
    summary: str
    publisher: str
    rights: str
    page: str
    cover: str
    downloads: tuple[tuple[str, str, int], ...]
    """(href, media type, bytes) of each file to read."""
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Listed:
    """A paper of the series as the catalogue shows it."""

    folder: str
    slug: str
    number: str
    key: str
    entries: tuple[Entry, ...]
    """Its editions, the source's first."""
    meta: PaperMeta

    def entry(self, language: str) -> Entry:
        return next((e for e in self.entries if e.language.lower() == language.lower()), self.entries[0])


def build_series(root: Path, workers: int | None = None) -> Path:
    """Build the series in `root` and publish its site; the published site's path."""
    root = root.resolve()
    series = loaded(root)
    out = root / OUT
    out.mkdir(parents=True, exist_ok=True)
    keys = {folder: content_key(series, folder) for folder in series.papers}
    metas = papers_meta(root, series)
    last = published_manifest(out / SITE)
    todo = [f for f in series.papers if last.get(f) != keys[f] or not built(root / f)]
    if not todo and list(last.items()) == list(keys.items()):  # the keys cover series.yaml and the tool too
        log.info("series: nothing has changed since the last build")
        return out / SITE
    log.info("series: %d paper(s), %d to build", len(series.papers), len(todo))
    times = build_times(out)
    times.update(build_papers(root, todo, workers))
    sources = {f: root / f / "output" / "html" for f in series.papers}
    return publish_site(root, series, metas, keys, sources, times, todo)


def loaded(root: Path) -> SeriesMeta:
    series, problems = load_series(root)
    if series is None:
        raise UserError(problems)
    return series


def publish_site(root: Path, series: SeriesMeta, metas: dict[str, PaperMeta], keys: dict[str, str],
                 sources: dict[str, Path], times: dict[str, float], fresh: list[str]) -> Path:
    """The series' site assembled from each paper's built site (`sources`) and published at
    once; how long each paper took is kept beside it, and the Crossref deposit of the papers
    just built (`fresh`) too."""
    from .pipeline import exclusive

    out = root / OUT
    out.mkdir(parents=True, exist_ok=True)
    unread = [folder for folder in series.papers if folder not in metas]
    if unread:  # after a build, each has said why; an assembled shard may not have
        raise UserError([error(Path(folder) / "paper.yaml", 0, "paper-failed", "this paper.yaml cannot be read: "
                               f"'paper check --project {folder}' says why") for folder in unread])
    listed = [listing(folder, metas[folder], keys[folder], sources[folder]) for folder in series.papers]
    with exclusive(out):  # one series build at a time publishes; a second waits for it
        for old in out.glob(".staging-*"):
            shutil.rmtree(old, ignore_errors=True)
        staging = out / f".staging-{os.getpid()}"
        try:
            site = staging / SITE
            assemble(series, listed, sources, site)
            published = publish([site], out)[0]
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        write(out / TIMES, json.dumps({f: round(times[f], 2) for f in sorted(times) if f in keys}, indent=1) + "\n")
        write_deposit(root, series, [p for p in listed if p.folder in fresh])
    return published


def write_deposit(root: Path, series: SeriesMeta, papers: list[Listed]) -> None:
    """output/series/crossref.xml: the papers just built that have a DOI, when series.yaml
    names a depositor; an older deposit is removed, so that none is sent twice by mistake."""
    from .crossref import deposit

    target = root / OUT / DEPOSIT
    target.unlink(missing_ok=True)
    with_doi = [p for p in papers if p.meta.doi]
    for paper in with_doi:
        if not paper.meta.site_url:
            log.warning("%s/paper.yaml: warning: the paper has a DOI but no web address for it to lead to: give "
                        "'site-url:' in series.yaml; it is left out of the Crossref deposit [deposit-metadata]",
                        paper.folder)
    ready = [(p.meta, p.meta.site_url) for p in with_doi if p.meta.site_url]
    if not ready or not series.depositor[0]:
        if ready:
            log.warning("series.yaml: warning: %d paper(s) with a DOI were built, but no Crossref deposit was "
                        "written: give 'depositor:' with 'name:' and 'email:' [deposit-metadata]", len(ready))
        return
    temporary = target.with_suffix(".tmp")
    write(temporary, deposit(series, ready, root))
    os.replace(temporary, target)
    log.info("series: Crossref deposit of %d paper(s): %s", len(ready), target)


def papers_meta(root: Path, series: SeriesMeta) -> dict[str, PaperMeta]:
    """Each paper's paper.yaml, as it takes from the series, read once for the whole build (one
    that cannot be read is left out: its build says why). Every paper's site goes to
    papers/<slug>/: two papers with one slug stop the series before anything is built."""
    from .config import load_config
    from .series import inherited

    metas: dict[str, PaperMeta] = {}
    seen: dict[str, str] = {}
    problems = []
    for folder in series.papers:
        meta, _problems = load_config(root / folder, inherit=functools.partial(inherited, series=series))
        if meta is None:
            continue
        metas[folder] = meta
        slug = Paper.slug_of(meta)
        if slug in seen:
            problems.append(error(Path(folder) / "paper.yaml", 0, "duplicate-paper",
                                  f"this paper and the one in {seen[slug]} would both be papers/{slug}/ on the "
                                  "series' website: give one of them another 'slug:'"))
        seen.setdefault(slug, folder)
    if problems:
        raise UserError(problems)
    return metas


def published_manifest(site: Path) -> dict[str, str]:
    """The content key of each paper of a published site (its manifest.json)."""
    path = site / MANIFEST
    if not path.is_file():
        return {}
    try:
        return {p["folder"]: p["key"] for p in json.loads(path.read_text(encoding="utf-8"))["papers"]}
    except (ValueError, KeyError, TypeError):
        return {}


def build_times(out: Path) -> dict[str, float]:
    """How long each paper took to build last time (kept beside the site, not in it: the same
    sources give the same site)."""
    try:
        return {str(k): float(v) for k, v in json.loads((out / TIMES).read_text(encoding="utf-8")).items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def built(paper: Path) -> bool:
    return (paper / "output" / "html" / "opds.xml").is_file()


def build_papers(root: Path, folders: list[str], workers: int | None = None) -> dict[str, float]:
    """Build these papers, several at once; their build times. Every paper's problems are
    reported, and if any failed the series stops before its site is touched."""
    if not folders:
        return {}
    workers = workers or max(1, min(len(folders), len(os.sched_getaffinity(0))))
    failed: list[Diagnostic] = []
    times = {}
    # Pools of spawned processes, a new one after every few papers each, so that no worker
    # grows with every paper it builds (WeasyPrint's and the templates' caches); each paper is
    # given one processor. (Python's own max_tasks_per_child can leave the pool hanging.)
    batch = workers * PAPERS_PER_WORKER
    for first in range(0, len(folders), batch):
        chunk = folders[first:first + batch]
        # one paper (after an edit, say) is built here, with every processor: no pool to start
        pool = InPlace() if len(folders) == 1 else ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=series_worker,
            initargs=(logging.getLogger("paper").getEffectiveLevel(), workers > 1))
        with pool:
            for folder, took, warnings, errors in pool.map(build_paper, [str(root)] * len(chunk), chunk):
                times[folder] = took
                for line in warnings + errors:
                    log.warning("%s", line)
                if errors:
                    failed.append(error(Path(folder) / "paper.yaml", 0, "paper-failed",
                                        f"the paper in {folder} was not built ({len(errors)} error(s) above): "
                                        f"correct them, or build it alone with 'paper build --project {folder}'"))
                else:
                    log.info("series: built %s in %.1f s", "the series' own folder" if folder == "." else folder,
                             took)
    if failed:
        raise UserError(failed)
    return times


class InPlace(contextlib.AbstractContextManager):
    """Stands in for a pool when one paper is built: in this process."""

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, fn, *iterables):  # noqa: ANN001, ANN201 (as Executor.map)
        return map(fn, *iterables)


def series_worker(level: int, shared: bool) -> None:
    """A worker of the series' pool: it logs only problems (the series says what each paper
    did) and, when several papers are built at once, builds each with one processor."""
    logging.basicConfig(level=max(level, logging.WARNING), format="%(message)s", stream=sys.stderr)
    for noisy in ("weasyprint", "fontTools", "PIL", "pikepdf"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    if shared:
        os.environ[PROCESSORS] = "1"


def build_paper(root: str, folder: str) -> tuple[str, float, list[str], list[str]]:
    """One paper built (in a process of the pool): its time, warnings and errors as lines
    with paths from the series' folder."""
    from .pipeline import build  # in the worker: the series itself needs none of it

    start = time.perf_counter()
    where = Path(root) / folder
    try:
        result = build(where)
    except UserError as exc:
        found = sorted(exc.diagnostics, key=lambda d: (str(d.location.path), d.location.line, d.location.column))
        return (folder, time.perf_counter() - start, [shown(folder, d) for d in found if d.level != "error"],
                [shown(folder, d) for d in found if d.level == "error"])
    return folder, time.perf_counter() - start, [shown(folder, d) for d in result.warnings], []


def shown(folder: str, d: Diagnostic) -> str:
    path = os.path.normpath(Path(folder) / d.location.path)
    return f"{path}{d.location.suffix}: {d.level}: {d.message} [{d.code}]"


def listing(folder: str, meta: PaperMeta, key: str, html: Path) -> Listed:
    """A built paper read back from its site's OPDS feed (each edition a book, as it says)."""
    feed = ElementTree.parse(html / "opds.xml").getroot()
    entries = tuple(entry(e) for e in feed.iter(f"{ATOM}entry"))
    return Listed(folder, Paper.slug_of(meta), meta.series.number if meta.series else "", key, entries, meta)


def entry(element: ElementTree.Element) -> Entry:
    def text(tag: str) -> str:
        return (element.findtext(tag) or "").strip()

    links = element.findall(f"{ATOM}link")
    href = {link.get("rel"): link.get("href", "") for link in links}
    return Entry(text(f"{ATOM}id"), text(f"{ATOM}title"), text(f"{DC}language"), text(f"{DC}issued"),
                 text(f"{ATOM}updated"), tuple((a.findtext(f"{ATOM}name") or "").strip()
                                               for a in element.findall(f"{ATOM}author")),
                 text(f"{ATOM}summary"), text(f"{DC}publisher"), text(f"{ATOM}rights"),
                 href.get("alternate", ""), href.get("http://opds-spec.org/image", ""),
                 tuple((link.get("href", ""), link.get("type", ""), int(link.get("length") or 0)) for link in links
                       if (link.get("rel") or "").startswith(ACQUISITION)),
                 tuple(c.get("term", "") for c in element.findall(f"{ATOM}category")))


def assemble(series: SeriesMeta, papers: list[Listed], sources: dict[str, Path], site: Path) -> None:
    """The series' website in `site`: the papers' own sites, then what the series adds."""
    from .renderers import environment
    from .search import index_site, single_pages_hidden

    site.mkdir(parents=True)
    for paper in papers:
        carry(sources[paper.folder].resolve(), site / "papers" / paper.slug)
    names = tuple(sorted(str(p) for p in series.templates.rglob("*"))) if series.templates else ()
    env = environment(series.templates, names)
    newest = sorted(papers, key=lambda p: (p.entries[0].issued, number(p.number), p.slug), reverse=True)
    languages = [{"language": code, "name": language_name(code), "folder": folder(series, code)}
                 for code in series.languages]
    updated = max((e.updated for p in papers for e in p.entries), default="1970-01-01T00:00:00Z")
    values = {"series": series, "languages": languages, "updated": updated, "ident": identifier(series)}
    for code in series.languages:
        here = folder(series, code)
        top = "../" if here else ""
        cards = [card(p, code, top) for p in newest]
        (site / here).mkdir(parents=True, exist_ok=True)
        for name, template in (("index.html", "series-index.html"), ("search.html", "series-search.html")):
            write(site / here / name, env.get_template(name=template).render(
                language=code, labels=labels_for(code), name=series.name_in(code), top=top, here=here,
                page=name, cards=cards, **values))
    (site / "assets").mkdir()
    for name in ("series.css", "series.js"):
        write(site / "assets" / name, env.get_template(name).render(**values))
    feeds(env, series, newest, site, values)
    with single_pages_hidden(site):
        index_site(site)
    if series.site_url:
        found = sorted(str(p.relative_to(site)) for p in site.rglob("*.html"))
        write(site / "sitemap.xml", env.get_template("series-sitemap.xml").render(pages=found, **values))
    write(site / MANIFEST, manifest(series, papers, site))


def number(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (0, text)


def folder(series: SeriesMeta, language: str) -> str:
    """Where a language's catalogue is: the first at the top, the others in es/, pt-br/."""
    return "" if language == series.languages[0] else edition_code(language) + "/"


def card(paper: Listed, language: str, top: str) -> dict[str, Any]:
    """What the catalogue shows of a paper, in `language` when it has that edition."""
    shown = paper.entry(language)
    base = f"{top}papers/{paper.slug}/"
    return {"entry": shown, "number": paper.number, "base": base, "date": long_date(shown.issued, language),
            "in_language": shown.language.lower() == language.lower(), "language_name": language_name(shown.language),
            "downloads": [{"href": base + href, "kind": kind(media), "size": human_size(size)}
                          for href, media, size in shown.downloads],
            "others": [{"href": base + e.page, "name": language_name(e.language), "language": e.language}
                       for e in paper.entries if e is not shown]}


def kind(media: str) -> str:
    return {"application/pdf": "PDF", "application/epub+zip": "EPUB"}.get(media, media.rpartition("/")[2].upper())


def feeds(env: Any, series: SeriesMeta, newest: list[Listed], site: Path, values: dict[str, Any]) -> None:
    """OPDS 1.2: a navigation feed at the top (opds.xml) leading to acquisition feeds, newest
    first, of every edition of every paper (opds/all.xml) and of each language's (opds/es.xml)."""
    (site / "opds").mkdir()
    labels = labels_for(series.languages[0])
    lists = [("all", "", [(p, e) for p in newest for e in p.entries])]
    lists += [(edition_code(code), code, [(p, e) for p in newest for e in p.entries
                                          if e.language.lower() == code.lower()]) for code in series.languages]
    made = []
    for name, language, items in lists:
        if not items:
            continue
        title = f"{series.name_in(language)} ({language_name(language)})" if language else series.name
        content = f"{labels['series_papers']}: {language_name(language)}" if language else labels["all_papers"]
        feed = {"name": name, "title": title, "updated": max(e.updated for _p, e in items), "content": content,
                "books": [{"paper": p, "entry": e, "base": f"../papers/{p.slug}/"} for p, e in items]}
        template = env.get_template("series-opds-acquisition.xml")
        write(site / "opds" / f"{name}.xml", template.render(feed=feed, **values))
        made.append(feed)
    write(site / "opds.xml", env.get_template("series-opds-navigation.xml").render(feeds=made, **values))


def identifier(series: SeriesMeta) -> str:
    """The series' id in its feeds: its ISSN, else its address, else one made from its name."""
    if series.issn:
        return f"urn:issn:{series.issn}"
    return series.site_url or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'paper-series:' + series.name)}"


def manifest(series: SeriesMeta, papers: list[Listed], site: Path) -> str:
    """Every file of the site with its size and SHA-256, and each paper's content key."""
    files = []
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        data = path.read_bytes()
        files.append({"path": str(path.relative_to(site)), "bytes": len(data),
                      "sha256": hashlib.sha256(data).hexdigest()})
    return json.dumps({"series": series.name, "issn": series.issn,
                       "papers": [{"folder": p.folder, "slug": p.slug, "key": p.key} for p in papers],
                       "files": files}, ensure_ascii=False, indent=1) + "\n"
