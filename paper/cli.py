"""The `paper` command: argument parsing and reporting only."""

from __future__ import annotations

import argparse
import errno
import functools
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from . import __version__
from .codes import why_not_ignorable
from .diagnostics import Diagnostic
from .editions import status_line
from .errors import UserError
from .pipeline import DEFAULT_FORMATS, FORMATS, PDF_STANDARDS, BuildOptions, build, diagnose
from .renderers.registry import REGISTRY

log = logging.getLogger("paper")


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad arguments; a user error is 1 here
        return 1 if exc.code else 0
    if not args.command:
        parser.print_help()
        return 1
    setup_logging(args.verbose, args.quiet)
    root = Path(args.project)
    try:
        return COMMANDS[args.command](args, root)
    except UserError as exc:
        report(exc.diagnostics, root)
        errors = sum(1 for d in exc.diagnostics if d.level == "error")
        unchanged = "nothing in the output folder was changed" if args.command in ("build", "serve", "series") \
            else "nothing was written"
        print(f"{args.command} stopped: {errors} error(s); {unchanged}", file=sys.stderr)
        return 1
    except OSError as exc:  # a file that cannot be read, a full or read-only disk
        name = shown(Path(exc.filename)) if exc.filename else shown(root)
        doing = "write" if exc.errno in (errno.ENOSPC, errno.EROFS, errno.EDQUOT) else "read or write"
        print(f"{name}: error: cannot {doing} this file: {exc.strerror or exc}; free some space or check "
              "that the folder may be written, then build again [os-error]", file=sys.stderr)
        print(f"{args.command} stopped: 1 error(s); the previous outputs are as they were", file=sys.stderr)
        return 1


BUILD_TIME_LIMIT = int(os.environ.get("PAPER_BUILD_TIME_LIMIT", "3600"))
"""Seconds a whole `paper build` may take (a 540-page paper takes under a minute)."""


def stop_build(root: Path, signum: int, frame) -> None:
    """The build took too long: said once, and the process ends at once, whatever thread or
    process of the layout is still busy. The published outputs are untouched; the next build
    removes the unfinished one."""
    print(f"{shown(root / 'paper.yaml')}: error: the build took longer than {BUILD_TIME_LIMIT} s and was stopped; a "
          "chapter or template may be far too large or complex for the layout (set PAPER_BUILD_TIME_LIMIT "
          "to allow more) [time-limit]\nbuild stopped: 1 error(s); the previous outputs are as they were",
          file=sys.stderr, flush=True)
    os._exit(1)


def cmd_build(args: argparse.Namespace, root: Path) -> int:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGALRM, functools.partial(stop_build, root))
        signal.alarm(BUILD_TIME_LIMIT)
    try:
        return _cmd_build(args, root)
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.alarm(0)


def _cmd_build(args: argparse.Namespace, root: Path) -> int:
    options = BuildOptions(args.format, args.strict, args.draft, args.pdf_standard, not args.no_cache,
                           args.pdf_layout, tuple(args.ignore))
    start = time.perf_counter()
    result = build(root, Path(args.out) if args.out else None, options)
    report(list(result.warnings), root)
    for artifact in result.artifacts:
        if artifact.path is not None:
            print(f"{artifact.format}: {shown(artifact.path)}")
    warned = f", {len(result.warnings)} warning(s)" if result.warnings else ""
    log.info("built in %.1f s%s", time.perf_counter() - start, warned)
    return 0


def cmd_check(args: argparse.Namespace, root: Path) -> int:
    paper, problems = diagnose(root, args.strict, deposit=args.deposit or None, ignore=tuple(args.ignore))
    errors = sum(1 for d in problems if d.level == "error")
    warnings = len(problems) - errors
    if args.output_format == "json":
        print(json.dumps({"errors": errors, "warnings": warnings,
                          "diagnostics": [as_json(d, root) for d in problems]}, indent=2,
                         ensure_ascii=False))
    else:
        report(problems, root, stream=sys.stdout)
        chapters = f" and {len(paper.chapters)} chapters" if paper else ""
        print(f"checked paper.yaml{chapters}: {errors} error(s), {warnings} warning(s)")
        if paper is not None:
            for edition in paper.translations:
                print("translation " + status_line(paper, edition, problems))
    return 1 if errors else 0


def cmd_serve(args: argparse.Namespace, root: Path) -> int:
    from .serve import serve

    return serve(root, args.port, args.pdf)


def cmd_new(args: argparse.Namespace, root: Path) -> int:
    from .scaffold import new_paper

    folder = new_paper(Path(args.folder))
    print(f"new paper in {shown(folder)}: build it with 'paper build --project {shown(folder)}'")
    return 0


def cmd_chapter(args: argparse.Namespace, root: Path) -> int:
    from .scaffold import chapter_from_notes, new_chapter

    path = chapter_from_notes(root, Path(args.from_notes)) if args.from_notes else new_chapter(root, args.title)
    print(f"new chapter: {shown(path)}")
    return 0


def cmd_import(args: argparse.Namespace, root: Path) -> int:
    from .wordimport import import_manuscript

    done = import_manuscript(root, Path(args.manuscript), args.level, args.accept_changes, args.keep_comments,
                             args.force, show=print)
    report(done.warnings, root)
    for path in done.chapters:
        print(f"chapter: {shown(root / path)}")
    if done.images:
        print(f"images: {len(done.images)} in {shown(root / 'images')}")
    for theirs, key in done.merged:
        print(f"reference: {theirs} is {key}, already in references.bib")
    if done.added:
        print(f"references: {len(done.added)} added to {shown(root / 'references.bib')} ({', '.join(done.added)})")
    if done.details:
        print("the manuscript's title page, for paper.yaml (the import leaves paper.yaml as it is):")
        print("  " + done.details.rstrip().replace("\n", "\n  "))
    print(f"imported {len(done.chapters)} chapter(s) from {args.manuscript}; check them with 'paper check'")
    return 0


def cmd_review(args: argparse.Namespace, root: Path) -> int:
    from .review import review

    paper, problems = diagnose(root)
    if paper is None:
        raise UserError(problems)
    remarks = review(paper, Path(args.reviewed))
    if args.output_format == "json":
        print(json.dumps({"file": args.reviewed, "remarks": [r.as_json() for r in remarks]}, indent=2,
                         ensure_ascii=False))
        return 0
    for remark in remarks:
        print(shown(root / remark.path) + remark.shown()[len(remark.path):])  # the path as seen from here
    comments = sum(1 for r in remarks if r.kind == "comment")
    print(f"{args.reviewed}: {comments} comment(s) and {len(remarks) - comments} change(s)")
    return 0


def cmd_series(args: argparse.Namespace, root: Path) -> int:
    if args.action == "new":
        from .scaffold import new_series

        if not args.folder:
            print("series new: give the folder to create, e.g. 'paper series new discussion-papers'", file=sys.stderr)
            return 1
        folder = new_series(Path(args.folder))
        print(f"new series in {shown(folder)}: build it with 'paper series build --project {shown(folder)}'")
        return 0
    from . import shards
    from .catalogue import build_series

    published = Path(args.published) if args.published else None
    start = time.perf_counter()
    if args.action == "plan":
        print(shards.matrix(shards.state(root, published).plan(args.shards), args.output_format))
        return 0
    if args.action == "assemble":
        site = shards.assemble_shards(root, Path(args.folder) if args.folder else None, published)
    elif args.shard:
        try:
            folder = shards.build_shard(root, args.shard, published, args.workers)
        except ValueError as exc:
            print(f"series build: {exc}", file=sys.stderr)
            return 1
        print(f"shard: {shown(folder)}")
        log.info("shard built in %.1f s", time.perf_counter() - start)
        return 0
    else:
        site = build_series(root, args.workers)
    print(f"series: {shown(site)}")
    log.info("series built in %.1f s", time.perf_counter() - start)
    return 0


COMMANDS = {"build": cmd_build, "series": cmd_series, "check": cmd_check, "serve": cmd_serve, "new": cmd_new,
            "chapter": cmd_chapter, "import": cmd_import,
            "review": cmd_review}


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paper", description="Build a discussion paper "
                                     "from Markdown chapters to PDF, HTML and EPUB.")
    parser.add_argument("--version", action="version", version=f"paper {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        sub.add_argument("--project", default=".", metavar="DIR",
                         help="the paper's folder (default: the current folder)")
        sub.add_argument("-v", "--verbose", action="store_true", help="say more")
        sub.add_argument("-q", "--quiet", action="store_true", help="only the problems, no progress")
        return sub

    build_command = command("build", "build the paper into the output folder")
    build_command.add_argument("--out", metavar="DIR", help="output folder (default: DIR/output)")
    build_command.add_argument("--format", type=formats, default=DEFAULT_FORMATS, metavar="LIST",
                               help="comma-separated, from: " + "; ".join(
                                   f"{f.name} ({f.help})" for f in REGISTRY.values() if f.public)
                               + f" (default: {','.join(DEFAULT_FORMATS)})")
    build_command.add_argument("--draft", action="store_true",
                               help="stamp DRAFT, the version and the date on every PDF page")
    build_command.add_argument("--pdf-standard", choices=PDF_STANDARDS, default=PDF_STANDARDS[0],
                               help="pdf/ua-1 (accessible, default) or pdf/a-3b (archival)")
    build_command.add_argument("--pdf-layout", choices=("pieces", "whole"), default="pieces",
                               help="pieces (default): chapter by chapter on every core, then joined; "
                                    "whole: the paper as one document in one process (slower; to compare)")
    build_command.add_argument("--no-cache", action="store_true",
                               help="make everything afresh, neither using nor changing output/.cache")
    check_command = command("check", "check the paper and report every problem, building nothing")
    check_command.add_argument("--format", dest="output_format", choices=("text", "json"),
                               default="text", help="text (default) or json, for other tools")
    check_command.add_argument("--deposit", action="store_true",
                               help="also check what DataCite and Zenodo require (done anyway once "
                                    "paper.yaml has a doi)")
    for sub in (build_command, check_command):
        sub.add_argument("--strict", action="store_true",
                         help="treat warnings (e.g. uncited references) as errors")
        sub.add_argument("--ignore", type=code, action="append", default=[], metavar="CODE",
                         help="do not report warnings with this code (the code in [brackets] at "
                              "the end of a message); may be given more than once")
    serve_command = command("serve", "preview the paper in a browser, rebuilt on every save")
    serve_command.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000)")
    serve_command.add_argument("--pdf", action="store_true", help="also rebuild the PDF in the background")
    new_command = command("new", "start a new paper in a new folder")
    new_command.add_argument("folder", metavar="FOLDER", help="the folder to create")
    chapter_command = command("chapter", "add a chapter")
    chapter_command.add_argument("action", choices=("new",), help="new: add a chapter after the last one")
    source = chapter_command.add_mutually_exclusive_group(required=True)
    source.add_argument("title", nargs="?", metavar="TITLE", help="the new chapter's title")
    source.add_argument("--from-notes", metavar="FILE",
                        help="a session's notes (Markdown or YAML) to draft the chapter from")
    import_command = command("import", "make chapters, images and references from a Word manuscript")
    import_command.add_argument("manuscript", metavar="FILE", help="the manuscript: .docx (Word, Google Docs) or .odt")
    import_command.add_argument("--level", type=int, choices=(1, 2, 3), default=1,
                                help="the heading level where each chapter starts (default 1: Heading 1)")
    import_command.add_argument("--accept-changes", action="store_true",
                                help="accept the manuscript's tracked changes (otherwise they stop the import)")
    import_command.add_argument("--keep-comments", action="store_true",
                                help="keep Word comments in the chapters as notes for the editors, unseen by "
                                     "readers (otherwise they stop the import)")
    import_command.add_argument("--force", action="store_true",
                                help="replace chapters an earlier import wrote (never one edited since)")
    review_command = command("review", "list the comments and tracked changes in a reviewed Word copy, "
                                       "each at its chapter and line")
    review_command.add_argument("reviewed", metavar="FILE", help="the Word copy (paper build --format docx) the "
                                "reviewers returned")
    review_command.add_argument("--format", dest="output_format", choices=("text", "json"), default="text",
                                help="text (default) or json, for other tools")
    series_command = command("series", "build a series of papers into one website with a catalogue")
    series_command.add_argument("action", choices=("new", "build", "plan", "assemble"),
                                help="new: start a series in a new folder; build: build every paper that "
                                     "changed and the series' website (in DIR/output/series/site); plan: print "
                                     "the CI jobs that would rebuild what changed; assemble: make the website "
                                     "from the jobs' shards")
    series_command.add_argument("folder", nargs="?", metavar="FOLDER",
                                help="for new: the folder to create; for assemble: where the shards were "
                                     "gathered (default: DIR/output/series/shards)")
    series_command.add_argument("--workers", type=int, default=None, metavar="N",
                                help="papers built at once (default: one per free processor)")
    series_command.add_argument("--shards", type=int, default=1, metavar="N",
                                help="for plan: how many jobs to share the papers among (default 1)")
    series_command.add_argument("--format", dest="output_format", choices=("text", "github", "gitlab"),
                                default="text", help="for plan: text (default), github (a strategy.matrix as "
                                                     "JSON) or gitlab (a child pipeline)")
    series_command.add_argument("--shard", metavar="K/N", help="for build: build only the K-th of N shards")
    series_command.add_argument("--published", metavar="DIR",
                                help="the published site (its manifest.json and papers/), for plan, build "
                                     "--shard and assemble (default: DIR/output/series/site)")
    return parser


def setup_logging(verbose: bool, quiet: bool = False) -> None:
    """Progress, on a terminal and in a log (CI) alike; only problems with -q, everything with -v."""
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr, force=True)
    for noisy in ("weasyprint", "watchfiles"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # table by table, even with -v


def code(text: str) -> str:
    if (why := why_not_ignorable(text)):
        raise argparse.ArgumentTypeError(why)
    return text


def formats(text: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(unknown) or '(none)'}: choose from {','.join(FORMATS)}")
    return chosen


def report(diagnostics: list[Diagnostic], root: Path, stream=None) -> None:
    """Print each problem as path:line:col: level: message [code], paths as seen from here."""
    for d in sorted(diagnostics, key=lambda d: (str(d.location.path), d.location.line,
                                                d.location.column)):
        print(f"{shown(root / d.location.path)}{d.location.suffix}: {d.level}: {d.message} "
              f"[{d.code}]", file=stream or sys.stderr)


def as_json(d: Diagnostic, root: Path) -> dict:
    return {"path": shown(root / d.location.path), "line": d.location.line,
            "column": d.location.column, "level": d.level, "code": d.code, "message": d.message}


def shown(path: Path) -> str:
    """A path relative to the current folder when it is below it, else absolute."""
    relative = os.path.relpath(path)
    return os.path.abspath(path) if relative.startswith("..") else relative
