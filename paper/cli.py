"""The `paper` command: argument parsing and reporting only."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from . import __version__
from .diagnostics import Diagnostic
from .errors import UserError
from .pipeline import FORMATS, PDF_STANDARDS, build, load_and_check

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
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(message)s", stream=sys.stderr)
    for noisy in ("weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    root = Path(args.project)
    try:
        if args.command == "check":
            paper, warnings = load_and_check(root, args.strict)
            report(warnings, root)
            print(f"checked paper.yaml and {len(paper.chapters)} chapters: no errors"
                  + (f", {len(warnings)} warning(s)" if warnings else ""))
            return 0
        result = build(root, Path(args.out) if args.out else None, args.format, args.strict,
                       args.draft, args.pdf_standard)
        report(list(result.warnings), root)
        for artifact in result.artifacts:
            print(f"{artifact.format}: {shown(artifact.path)}")
        return 0
    except UserError as exc:
        report(exc.diagnostics, root)
        errors = sum(1 for d in exc.diagnostics if d.level == "error")
        if args.command == "check":
            print(f"check found {errors} error(s)", file=sys.stderr)
        else:
            print(f"build stopped: {errors} error(s); nothing in the output folder was changed",
                  file=sys.stderr)
        return 1


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paper", description="Build a discussion paper "
                                     "from Markdown chapters to PDF, HTML and EPUB.")
    parser.add_argument("--version", action="version", version=f"paper {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, text in (("build", "build the paper into the output folder"),
                       ("check", "check the project and report problems, building nothing")):
        command = commands.add_parser(name, help=text, description=text)
        command.add_argument("--project", default=".", metavar="DIR",
                             help="the project folder (default: the current folder)")
        command.add_argument("--strict", action="store_true",
                             help="treat warnings (e.g. uncited references) as errors")
        command.add_argument("-v", "--verbose", action="store_true", help="say more")
        if name == "build":
            command.add_argument("--out", metavar="DIR", help="output folder (default: DIR/output)")
            command.add_argument("--format", type=formats, default=FORMATS, metavar="LIST",
                                 help="comma-separated: pdf,html,epub,cite (default: all)")
            command.add_argument("--draft", action="store_true",
                                 help="stamp DRAFT, the version and the date on every PDF page")
            command.add_argument("--pdf-standard", choices=PDF_STANDARDS, default=PDF_STANDARDS[0],
                                 help="pdf/ua-1 (accessible, default) or pdf/a-3b (archival)")
    return parser


def formats(text: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(unknown) or '(none)'}: choose from {','.join(FORMATS)}")
    return chosen


def report(diagnostics: list[Diagnostic], root: Path) -> None:
    """Print each problem as path:line: level: message, paths as seen from the current folder."""
    for d in sorted(diagnostics, key=lambda d: (str(d.location.path), d.location.line,
                                                d.location.column)):
        path = shown(root / d.location.path)
        print(f"{path}{d.location.suffix}: {d.level}: {d.message} [{d.code}]", file=sys.stderr)


def shown(path: Path) -> str:
    """A path relative to the current folder when it is below it, else absolute."""
    relative = os.path.relpath(path)
    return str(Path(path).resolve()) if relative.startswith("..") else relative
