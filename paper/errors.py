"""User errors: problems with the project, reported without a traceback.

Anything else that goes wrong is a bug in this tool and keeps its traceback.
"""

from __future__ import annotations

from .diagnostics import Diagnostic


class UserError(Exception):
    """A problem the editor or an author can fix; carries one or more diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    def __reduce__(self):
        # raised in a worker process, it must arrive in the main one with its diagnostics
        return (UserError, (self.diagnostics,))
