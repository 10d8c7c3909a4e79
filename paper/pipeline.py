"""load -> check -> assemble -> render, then move the finished outputs into place."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import importlib
import json
import logging
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from . import pandoc
from .assemble import assemble
from .cache import FOLDER as CACHE_FOLDER
from .cache import Cache, file_digest
from .check import check_paper
from .diagnostics import Diagnostic, has_errors
from .editions import edition_code, load_translations, translation_status
from .errors import UserError
from .loader import load_paper
from .mathsvg import check_math
from .model import Artifact, BuildContext, BuildResult, Manuscript, Paper
from .publish import digest, publish
from .renderers import Renderer, slug, template_errors
from .renderers.cite import check_deposit

log = logging.getLogger(__name__)
FORMATS = ("pdf", "html", "epub", "cite")
PDF_STANDARDS = ("pdf/ua-1", "pdf/a-3b")
STAGING_PREFIX = ".staging-"
LOCK_FILE = ".build.lock"


def renderer(name: str) -> Renderer:
    """The renderer of a format, imported when first needed: WeasyPrint alone takes half a
    second to import, which a build with nothing to do should not spend."""
    module = importlib.import_module(f".renderers.{name}", __package__)
    return getattr(module, f"render_{name}")


def diagnose(root: Path, strict: bool = False, cache: Cache | None = None) -> tuple[Paper | None, list[Diagnostic]]:
    """Read and check the whole project; every problem found, sorted by file and line.

    With `strict`, warnings count as errors. Chapters read before are taken from `cache`
    (by default the one in the project's output folder, which is only read here).
    """
    if cache is None:
        cache = Cache(root / "output" / CACHE_FOLDER)
    paper, problems = load_paper(root, cache)
    if paper is not None:
        problems += check_paper(paper) + check_math(paper)
        if paper.meta.valid:
            problems += check_deposit(paper.meta)
            translations, found = load_translations(paper, slug(paper), cache)
            problems += found
            for edition in translations:
                problems += check_paper(edition, unused=False) + check_math(edition)
                problems += translation_status(paper, edition)
            paper = replace(paper, translations=translations)
    if strict:
        problems = [replace(d, level="error") for d in problems]
    problems = list(dict.fromkeys(problems))  # an untranslated chapter is checked in every edition
    problems.sort(key=lambda d: (str(d.location.path), d.location.line, d.location.column))
    return paper, problems


def load_and_check(root: Path, strict: bool = False, cache: Cache | None = None) -> tuple[Paper, list[Diagnostic]]:
    """The paper and its warnings; UserError with every problem if any is an error."""
    paper, problems = diagnose(root, strict, cache)
    if paper is None or not paper.meta.valid or has_errors(problems):
        raise UserError(problems)
    return paper, problems


def build(root: Path, out: Path | None = None, formats: tuple[str, ...] = FORMATS,
          strict: bool = False, draft: bool = False, pdf_standard: str = "pdf/ua-1",
          cache: bool = True, pdf_layout: str = "pieces") -> BuildResult:
    """Build the paper in `root` into `out` (default root/output) in the given formats.

    With `cache` (the default), what an earlier build made from the same inputs is reused
    from out/.cache/, and a build with nothing changed returns the files already there.
    """
    root = root.resolve()
    out = (out or root / "output").resolve()
    store = Cache(out / CACHE_FOLDER, persist=cache)
    paper, warnings = load_and_check(root, strict, store)
    context = BuildContext(root, out, formats, source_date_epoch(paper), draft, pdf_standard, store, pdf_layout)
    out.mkdir(parents=True, exist_ok=True)
    with exclusive(out):
        key = build_key(paper, context)
        manifest = store.manifest()
        done = [(Artifact(entry[0], out / entry[1]), entry[2]) for entry in manifest.get("artifacts", [])
                if len(entry) == 3]
        if manifest.get("key") == key and done and all(a.path.exists() and digest(a.path) == fingerprint
                                                       for a, fingerprint in done):
            log.info("nothing has changed since the last build")
            return BuildResult(tuple(a for a, _f in done), tuple(warnings))
        result = _build(paper, warnings, context, out)
        store.commit({"key": key, "artifacts": [[a.format, str(a.path.relative_to(out)), digest(a.path)]
                                                for a in result.artifacts]})
        return result


def build_key(paper: Paper, context: BuildContext) -> str:
    """A hash of everything a build reads and of how it was asked for: the same key, the same bytes."""
    root = paper.root
    files = {root / "paper.yaml", root / "references.bib"}
    for folder in ("chapters", "images", "templates", "fonts", "styles"):
        files.update(p for p in (root / folder).rglob("*") if p.is_file())
    files.update(root / name for name in (paper.meta.cover_image, *paper.meta.logos, paper.meta.citation_style) if name)
    for edition in (paper, *paper.translations):
        for chapter in edition.chapters:
            files.update(root / src for src in chapter.images)
    options = json.dumps([context.formats, context.draft, context.pdf_standard, context.source_date_epoch,
                          context.pdf_layout])
    return Cache.key(pandoc.executable(), options,
                     *(f"{p.relative_to(root)}={file_digest(p)}" for p in sorted(files)))


@contextlib.contextmanager
def exclusive(out: Path):
    """One build at a time per output folder: a second one waits for the first to finish."""
    with (out / LOCK_FILE).open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("another build of this paper is running; waiting for it to finish")
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _build(paper: Paper, warnings: list[Diagnostic], context: BuildContext, out: Path) -> BuildResult:
    """Every edition (the source first) into one staging folder, then all published together."""
    formats = context.formats
    remove_stale_staging(out)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    try:
        editions = []
        artifacts: list[Artifact] = []
        jobs = []
        for edition in (paper, *paper.translations):
            # a translation renders in a folder of its own, then joins the source's files
            folder = staging if edition is paper else staging / f"edition-{edition_code(edition.meta.language)}"
            folder.mkdir(exist_ok=True)
            jobs.append((edition, folder))
        for (edition, folder), (manuscript, made) in zip(jobs, render_editions(jobs, context), strict=True):
            editions.append((manuscript, folder))
            if edition is paper:
                artifacts += [made[f] for f in ("pdf", "epub", "cite") if f in formats]
            else:
                artifacts += join_source(made, formats, staging, edition_code(edition.meta.language))
        if "html" in formats:
            from .renderers.html import render_site

            with template_errors(paper):
                artifacts.append(timed("html", render_site, editions, context, staging))
        order = {f: i for i, f in enumerate(formats)}
        artifacts.sort(key=lambda a: order[a.format])  # stable: the source edition first
        published = [a for a in artifacts if not is_nested(a, staging)]
        paths = publish([a.path for a in published], out)
        return BuildResult(tuple(Artifact(a.format, path) for a, path in zip(published, paths, strict=True)),
                           tuple(warnings))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def render_editions(jobs: list[tuple[Paper, Path]], context: BuildContext) -> list[tuple[Manuscript, dict]]:
    """Each edition's PDF, EPUB and citation files; several editions in processes of their own,
    one per core, since WeasyPrint's layout keeps one core busy."""
    if len(jobs) == 1:
        return [render_edition(jobs[0][0], context, jobs[0][1])]
    workers = min(len(jobs), os.cpu_count() or 1)
    # the cores left to each edition lay out its PDF's pieces
    context = dataclasses.replace(context, layout_workers=max(1, (os.cpu_count() or 1) // len(jobs)))
    level = logging.getLogger("paper").getEffectiveLevel()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=worker_logging, initargs=(level,)) as pool:
        results = list(pool.map(edition_in_worker, [(paper, folder, context) for paper, folder in jobs]))
    for _manuscript, _made, cache in results:
        context.cache.merge(cache)  # what the workers made joins this build's cache
    return [(manuscript, made) for manuscript, made, _cache in results]


def worker_logging(level: int) -> None:
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)
    for noisy in ("weasyprint", "fontTools", "PIL", "pikepdf"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def edition_in_worker(job: tuple[Paper, Path, BuildContext]) -> tuple[Manuscript, dict, object]:
    paper, folder, context = job
    manuscript, made = render_edition(paper, context, folder)
    return manuscript, made, context.cache


def render_edition(paper: Paper, context: BuildContext, staging: Path) -> tuple[Manuscript, dict[str, Artifact]]:
    """One edition's PDF, EPUB and citation files (the website is made for all editions at once)."""
    with template_errors(paper):
        return _render_edition(paper, context, staging)


def _render_edition(paper: Paper, context: BuildContext, staging: Path) -> tuple[Manuscript, dict[str, Artifact]]:
    formats = context.formats
    start = time.perf_counter()
    manuscript = assemble(paper, context, staging)
    log.info("%s: read and assembled %d chapters in %.1f s", paper.meta.language, len(paper.chapters),
             time.perf_counter() - start)
    if "html" in formats or "epub" in formats:
        from .renderers.pdf import render_cover_image

        render_cover_image(manuscript, context, staging)
    # While WeasyPrint lays out the PDF, pandoc (a process of its own) makes the EPUB and
    # converts the website's pages; the EPUB is finished with the PDF's page numbers, and the
    # website is written last, since it offers the other files with their checksums.
    from .renderers.epub import finish_epub, make_epub
    from .renderers.html import convert_pages

    made: dict[str, Artifact] = {}
    with ThreadPoolExecutor(max_workers=4) as pool:
        pdf = pool.submit(timed, "pdf", renderer("pdf"), manuscript, context, staging) \
            if "pdf" in formats or "epub" in formats else None
        epub = pool.submit(timed, "epub", make_epub, manuscript, context, staging) if "epub" in formats else None
        cite = pool.submit(timed, "cite", renderer("cite"), manuscript, context, staging) if "cite" in formats else None
        pages = pool.submit(convert_pages, manuscript, context) if "html" in formats else None
        if pdf:
            made["pdf"] = pdf.result()
        if epub:
            made["epub"] = finish_epub(epub.result(), manuscript, staging)
        if cite:
            made["cite"] = cite.result()
        if pages:
            pages.result()  # its conversions wait in the cache for the website
    return manuscript, made


def join_source(made: dict[str, Artifact], formats: tuple[str, ...], staging: Path, code: str) -> list[Artifact]:
    """A translation's PDF and EPUB beside the source's; its citation files in cite/<language>/."""
    joined = []
    for name in ("pdf", "epub"):
        if name in made:
            target = staging / made[name].path.name
            os.replace(made[name].path, target)
            if name in formats:
                joined.append(Artifact(name, target))
    if "cite" in made:
        os.replace(made["cite"].path, staging / "cite" / code)
    return joined


def is_nested(artifact: Artifact, staging: Path) -> bool:
    """A file or folder that is published inside another one (cite/es inside cite)."""
    return artifact.path.parent != staging


def timed(name: str, renderer: Renderer, *args) -> Artifact:
    """Run one renderer and say how long it took."""
    start = time.perf_counter()
    log.info("%s: making", name)
    artifact = renderer(*args)
    log.info("%s: done in %.1f s", name, time.perf_counter() - start)
    return artifact


def remove_stale_staging(out: Path) -> None:
    """Staging folders left by a build that was killed before it could clean up."""
    for stale in out.glob(STAGING_PREFIX + "*"):
        shutil.rmtree(stale, ignore_errors=True)


def source_date_epoch(paper: Paper) -> int:
    """SOURCE_DATE_EPOCH if set, else midnight UTC of the paper's date: the same sources
    always give the same bytes."""
    if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
        return int(os.environ["SOURCE_DATE_EPOCH"])
    year, month, day = (paper.meta.date.split("-") + ["01", "01"])[:3]
    date = dt.datetime(int(year), int(month), int(day), tzinfo=dt.timezone.utc)
    return int(date.timestamp())
