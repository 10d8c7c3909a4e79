"""Problems found in a project, each with the file and line it comes from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .codes import CODES, Level


@dataclass(frozen=True, order=True)
class SourceLocation:
    """A place in one of the project's files."""

    path: Path
    """The file, as given (usually relative to the project folder)."""
    line: int = 0
    """1-based line number; 0 when the problem concerns the whole file."""
    column: int = 0
    """1-based column (in characters); 0 when not known."""

    def __str__(self) -> str:
        return f"{self.path}{self.suffix}"

    @property
    def suffix(self) -> str:
        """':line:column', ':line' or '', as far as the place is known."""
        if not self.line:
            return ""
        return f":{self.line}:{self.column}" if self.column else f":{self.line}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem: where, how bad, what, and how to fix it."""

    location: SourceLocation
    level: Level
    """"error" stops the build; "warning" is reported and the build goes on."""
    code: str
    """A short stable name for the kind of problem, e.g. "unknown-key", declared in codes.py."""
    message: str

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"diagnostic code {self.code!r} is not declared in paper/codes.py")

    def __str__(self) -> str:
        return f"{self.location}: {self.level}: {self.message} [{self.code}]"


def error(path: Path, line: int, code: str, message: str, column: int = 0) -> Diagnostic:
    return Diagnostic(SourceLocation(path, line, column), "error", code, message)


def warning(path: Path, line: int, code: str, message: str, column: int = 0) -> Diagnostic:
    return Diagnostic(SourceLocation(path, line, column), "warning", code, message)


def silenced(diagnostics: list[Diagnostic], codes: set[str] | tuple[str, ...]) -> list[Diagnostic]:
    """The diagnostics without the warnings whose codes the editor asked not to see (--ignore,
    ignore:); an error is never silenced."""
    return [d for d in diagnostics if d.level == "error" or d.code not in codes]


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.level == "error" for d in diagnostics)
