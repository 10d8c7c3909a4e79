"""load -> check -> assemble -> render, then move the finished outputs into place."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import pandoc
from .assemble import assemble
from .cache import FOLDER as CACHE_FOLDER
from .cache import Cache, file_digest
from .check import check_paper
from .diagnostics import Diagnostic, SourceLocation, has_errors, silenced, warning
from .editions import edition_code, load_translations, translation_status
from .errors import UserError
from .loader import load_paper
from .mathsvg import check_math
from .model import SOURCE_FOLDERS, Artifact, BuildContext, BuildResult, Manuscript, Paper, PdfLayout, PdfStandard
from .publish import digest, publish
from .records import check_deposit
from .renderers import registry, template_errors
from .renderers.registry import REGISTRY, Edition, EditionJob, PaperJob
from .scaffold import check_placeholders
from .workers import free_processors, process_pool

log = logging.getLogger(__name__)
FORMATS = registry.formats()
DEFAULT_FORMATS = registry.defaults()
PDF_STANDARDS: tuple[PdfStandard, ...] = ("pdf/ua-1", "pdf/a-3b")
STAGING_PREFIX = ".staging-"
LOCK_FILE = ".build.lock"


@dataclass(frozen=True)
class BuildOptions:
    """How a build is asked for (the command's options)."""

    formats: tuple[str, ...] = DEFAULT_FORMATS
    """Which formats to make and publish, from the registry (paper.renderers.registry); with
    the website, also what paper.yaml's downloads: offers."""
    strict: bool = False
    """Warnings count as errors."""
    draft: bool = False
    """Stamp DRAFT, the version and the date on every PDF page."""
    pdf_standard: PdfStandard = "pdf/ua-1"
    cache: bool = True
    """Reuse what an earlier build made from the same inputs (output/.cache/)."""
    pdf_layout: PdfLayout = "pieces"
    ignore: tuple[str, ...] = ()
    """Diagnostic codes not to report (besides paper.yaml's ignore:)."""
    preview: bool = False
    """Only what `paper serve` shows at once after a save (BuildContext.preview)."""


def diagnose(root: Path, strict: bool = False, cache: Cache | None = None, deposit: bool | None = None,
             ignore: tuple[str, ...] = ()) -> tuple[Paper | None, list[Diagnostic]]:
    """Read and check the whole project; every problem found, sorted by file and line.

    With `strict`, warnings count as errors. Chapters read before are taken from `cache`
    (by default the one in the project's output folder, which is only read here). What DataCite
    and Zenodo would refuse is checked with `deposit`, or by default once the paper has a DOI
    (its records are then meant for registration). Codes in `ignore` and in paper.yaml's
    ignore: are left out.
    """
    if cache is None:
        cache = Cache(root / "output" / CACHE_FOLDER)
    paper, problems = load_paper(root, cache)
    if paper is not None:
        problems += check_paper(paper) + check_math(paper) + check_placeholders(paper)
        if paper.meta.valid:
            if deposit or (deposit is None and paper.meta.doi):
                problems += check_deposit(paper.meta)
            translations, found = load_translations(paper, paper.slug, cache)
            problems += found
            for edition in translations:
                problems += check_paper(edition, unused=False) + check_math(edition)
                problems += translation_status(paper, edition)
            paper = replace(paper, translations=translations)
    problems = silenced(problems, set(ignore) | set(paper.meta.ignore if paper else ()))
    if strict:
        problems = [replace(d, level="error") for d in problems]
    problems = list(dict.fromkeys(problems))  # an untranslated chapter is checked in every edition
    problems.sort(key=lambda d: (str(d.location.path), d.location.line, d.location.column))
    return paper, problems


def load_and_check(root: Path, strict: bool = False, cache: Cache | None = None,
                   ignore: tuple[str, ...] = ()) -> tuple[Paper, list[Diagnostic]]:
    """The paper and its warnings; UserError with every problem if any is an error."""
    paper, problems = diagnose(root, strict, cache, ignore=ignore)
    if paper is None or not paper.meta.valid or has_errors(problems):
        raise UserError(problems)
    return paper, problems


def build(root: Path, out: Path | None = None, options: BuildOptions = BuildOptions()) -> BuildResult:
    """Build the paper in `root` into `out` (default root/output) as `options` ask.

    With the cache (the default), what an earlier build made from the same inputs is reused
    from out/.cache/, and a build with nothing changed returns the files already there.
    """
    root = root.resolve()
    out = (out or root / "output").resolve()
    store = Cache(out / CACHE_FOLDER, persist=options.cache)
    before = stats(root, store.manifest().get("inputs", [])) if options.cache else {}
    if options.cache and out.is_dir():
        with exclusive(out):
            if (last := unchanged(store, out, project_state(before, options, out))) is not None:
                return last
    threading.Thread(target=registry.preload, args=(options.formats,), daemon=True).start()
    paper, warnings = load_and_check(root, options.strict, store, options.ignore)
    formats = with_downloads(options.formats, paper, options.preview)
    context = BuildContext(root, out, formats, source_date_epoch(paper), options.draft,
                           options.pdf_standard, store, options.pdf_layout, strict=options.strict,
                           ignore=options.ignore + paper.meta.ignore, preview=options.preview)
    out.mkdir(parents=True, exist_ok=True)
    with exclusive(out):
        key = build_key(paper, context)
        manifest = store.manifest()
        if manifest.get("key") == key and (done := published(manifest, out)):
            log.info("nothing has changed since the last build")
            rendering = [warning(Path(path), line, code, message)
                         for path, line, code, message in manifest.get("warnings", [])]
            result = BuildResult(done, tuple(warnings + rendering))
            store.amend(standing(result, paper, before, options, out))
            return result
        result = _build(paper, warnings, context, out)
        kept = [[str(d.location.path), d.location.line, d.code, d.message]
                for d in result.warnings if d not in warnings]
        made = [[a.format, str(a.path.relative_to(out)), digest(a.path)]
                for a in result.artifacts if a.path is not None]
        store.commit({"key": key, "artifacts": made, "warnings": kept,
                      **standing(result, paper, before, options, out)}, forget=not context.preview,
                     formats=context.formats)
        return result


def with_downloads(formats: tuple[str, ...], paper: Paper, preview: bool) -> tuple[str, ...]:
    """The formats asked for and, with the website (not in a preview), those it offers for
    download (paper.yaml's downloads:) after them."""
    if "html" not in formats or preview:
        return formats
    return formats + tuple(name for name in paper.meta.downloads if name in FORMATS and name not in formats)


def stats(root: Path, extra: list[str] | tuple[str, ...] = ()) -> dict[str, str]:
    """How each file the build may read stands now: paper.yaml, references.bib, every file
    under the project's folders of sources (so that a new one shows), and `extra` (the files
    the last build read elsewhere: images, a cover). Size, times and inode, not content, so
    that this costs next to nothing; links are not followed."""
    found: dict[str, str] = {}
    paths = [root / "paper.yaml", root / "references.bib", *(root / p for p in extra)]
    for folder in SOURCE_FOLDERS:
        for here, dirs, names in os.walk(root / folder):
            dirs.sort()
            paths += [Path(here) / name for name in sorted(names)]
    for path in paths:
        name = str(path.relative_to(root))
        try:
            stat = os.lstat(path)
            found[name] = f"{stat.st_size} {stat.st_mtime_ns} {stat.st_ctime_ns} {stat.st_ino}"
        except OSError:
            found[name] = "missing"
    return found


def project_state(found: dict[str, str], options: BuildOptions, out: Path) -> str:
    """A hash of how the files stand, of the options and of the tool: when it is the last
    build's, nothing the build reads can have changed."""
    return Cache.key(str(out), repr(options), os.environ.get("SOURCE_DATE_EPOCH", ""), pandoc.executable(),
                     *(f"{name}={state}" for name, state in sorted(found.items())))


def standing(result: BuildResult, paper: Paper, before: dict[str, str], options: BuildOptions,
             out: Path) -> dict[str, Any]:
    """For the manifest: how the files the build read stood when it read them (a file that
    appeared since is left out: the next build sees it), what it read, and all it reported."""
    inputs = sorted(str(p.relative_to(paper.root)) for p in input_files(paper))
    late = stats(paper.root, inputs)
    state = project_state({**{name: late[name] for name in inputs}, **before}, options, out)
    reported = [[str(d.location.path), d.location.line, d.location.column, d.level, d.code, d.message]
                for d in result.warnings]
    return {"state": state, "inputs": inputs, "reported": reported}


def unchanged(store: Cache, out: Path, state: str) -> BuildResult | None:
    """The last build's result, if the project stands as it did then and its published files
    are as it left them; None otherwise (then the build goes on, and may still find that
    nothing has changed, by the files' contents)."""
    manifest = store.manifest()
    if manifest.get("state") != state or "reported" not in manifest or not (done := published(manifest, out)):
        return None
    log.info("nothing has changed since the last build")
    reported = tuple(Diagnostic(SourceLocation(Path(path), line, column), level, code, message)
                     for path, line, column, level, code, message in manifest["reported"])
    return BuildResult(done, reported)


def published(manifest: dict, out: Path) -> tuple[Artifact, ...]:
    """What the last build published, if every file is still as it left it (else nothing)."""
    done = [(Artifact(entry[0], out / entry[1]), entry[2]) for entry in manifest.get("artifacts", [])
            if len(entry) == 3]
    if not all(a.path is not None and a.path.exists() and digest(a.path) == fingerprint for a, fingerprint in done):
        return ()
    return tuple(a for a, _fingerprint in done)



def input_files(paper: Paper) -> set[Path]:
    """Every file a build reads."""
    root = paper.root
    files = {root / "paper.yaml", root / "references.bib"}
    for folder in SOURCE_FOLDERS:
        files.update(p for p in (root / folder).rglob("*") if p.is_file())
    files.update(root / name for name in (paper.meta.cover_image, *paper.meta.logos, paper.meta.citation_style) if name)
    files.update(root / name for name in paper.inherited)
    for edition in (paper, *paper.translations):
        for chapter in edition.chapters:
            files.update(root / src for src in chapter.images)
    return files


def build_key(paper: Paper, context: BuildContext) -> str:
    """A hash of everything a build reads and of how it was asked for: the same key, the same bytes."""
    root = paper.root
    files = input_files(paper)
    options = json.dumps([context.formats, context.draft, context.pdf_standard, context.source_date_epoch,
                          context.pdf_layout, context.strict, context.ignore, context.preview])
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
    remove_stale_staging(out)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    try:
        for needed, by in registry.unasked(context.formats):
            log.info("%s: made for the %s, which needs it; not published (add it to --format to keep it)",
                     needed, by)
        jobs = []
        for edition in (paper, *paper.translations):
            # a translation renders in a folder of its own, then joins the source's files
            folder = staging if edition is paper else staging / f"edition-{edition_code(edition.meta.language)}"
            folder.mkdir(exist_ok=True)
            jobs.append((edition, folder))
        editions, found = [], []
        for (edition, folder), (manuscript, made, notes) in zip(jobs, render_editions(jobs, context), strict=True):
            if edition is not paper:
                made = join_source(made, staging, edition_code(edition.meta.language))
            editions.append(Edition(manuscript, folder, made))
            found += notes
        for fmt in registry.steps(context.formats):
            if fmt.scope == "paper":
                with template_errors(paper):
                    site = timed(fmt.name, fmt.function(), PaperJob(tuple(editions), context, staging))
                editions[0].made[fmt.name] = site
        found += [d for e in editions for a in e.made.values() for d in a.warnings]
        found = silenced(list(dict.fromkeys(found)), context.ignore)
        if found and context.strict:
            raise UserError([replace(d, level="error") for d in found])
        warnings = warnings + found
        # the source's outputs first, then each translation's, format by format as asked
        order = {f: i for i, f in enumerate(context.formats)}
        published = [a for e in editions for a in e.made.values()
                     if a.format in order and a.path is not None and a.path.parent == staging]
        published.sort(key=lambda a: order[a.format])
        paths = publish([a.path for a in published if a.path is not None], out)
        return BuildResult(tuple(Artifact(a.format, path) for a, path in zip(published, paths, strict=True)),
                           tuple(warnings))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


Rendered = tuple[Manuscript, dict[str, Artifact], list[Diagnostic]]
"""An edition's manuscript, what each step made, and the tools' warnings on the way."""


def render_editions(jobs: list[tuple[Paper, Path]], context: BuildContext) -> list[Rendered]:
    """Each edition's own formats (all but the website); several editions in processes of
    their own, one per free processor, since WeasyPrint's layout keeps one processor busy."""
    free = free_processors() if "pdf" in context.formats else os.cpu_count() or 1
    log.debug("%d processor(s) free for this build", free)
    # the processors left to each edition lay out its PDF's pieces
    context = dataclasses.replace(context, layout_workers=max(1, free // len(jobs)))
    if len(jobs) == 1 or free == 1:  # one processor: the editions one after the other, here
        return [render_edition(paper, context, folder) for paper, folder in jobs]
    workers = min(len(jobs), free)
    with process_pool(workers) as pool:
        results = list(pool.map(edition_in_worker, [(paper, folder, context) for paper, folder in jobs]))
    for _rendered, cache in results:
        if context.cache is not None and cache is not None:
            context.cache.merge(cache)  # what the workers made joins this build's cache
    return [rendered for rendered, _cache in results]


def edition_in_worker(job: tuple[Paper, Path, BuildContext]) -> tuple[Rendered, Cache | None]:
    paper, folder, context = job
    return render_edition(paper, context, folder), context.cache


def render_edition(paper: Paper, context: BuildContext, staging: Path) -> Rendered:
    """One edition's steps, each in a thread of its own: while WeasyPrint lays out the PDF, pandoc
    (a process of its own) makes the EPUB and converts the website's pages; a step waits for
    the ones it needs (the EPUB for the PDF's page numbers)."""
    pandoc.notes()
    with template_errors(paper):
        start = time.perf_counter()
        manuscript = assemble(paper, context, staging)
        log.info("%s: read and assembled %d chapters in %.1f s", paper.meta.language, len(paper.chapters),
                 time.perf_counter() - start)
        steps = [f for f in registry.steps(context.formats) if f.scope == "edition"]
        job = EditionJob(manuscript, context, staging)
        with ThreadPoolExecutor(max_workers=max(1, len(steps))) as pool:
            for fmt in steps:
                job.made[fmt.name] = pool.submit(timed, fmt.name, fmt.function(), job)
            made = {name: future.result() for name, future in job.made.items()}
    found = [warning(Path("chapters"), 0, "pandoc", f"pandoc: {note.removeprefix('[WARNING] ')}")
             for note in pandoc.notes()]
    return manuscript, made, found


def join_source(made: dict[str, Artifact], staging: Path, code: str) -> dict[str, Artifact]:
    """A translation's files beside the source's (its PDF and EPUB), its folders inside the
    source's folder of the same name (cite/es/)."""
    joined = {}
    for name, artifact in made.items():
        if artifact.path is not None and REGISTRY[name].public:
            target = staging / artifact.path.name
            if artifact.path.is_dir():
                target = target / code
            os.replace(artifact.path, target)
            artifact = dataclasses.replace(artifact, path=target)
        joined[name] = artifact
    return joined


def timed(name: str, renderer: Callable[[Any], Artifact], job: Any) -> Artifact:
    """Run one renderer and say how long it took."""
    start = time.perf_counter()
    manuscript = getattr(job, "manuscript", None)  # one edition's step, or the site's of them all
    label = f"{manuscript.paper.meta.language}: {name}" if manuscript else name
    log.info("%s: making", label)
    artifact = renderer(job)
    log.info("%s: done in %.1f s", label, time.perf_counter() - start)
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
