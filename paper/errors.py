"""User errors: problems with the project, reported without a traceback.

Anything else that goes wrong is a bug in this tool and keeps its traceback.
"""

from __future__ import annotations

from .diagnostics import Diagnostic


class UserError(Exception):
    """A problem the editor or an author can fix; carries one or more diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic] | str):
        if isinstance(diagnostics, str):
            self.diagnostics: list[Diagnostic] = []
            super().__init__(diagnostics)
        else:
            self.diagnostics = list(diagnostics)
            super().__init__("\n".join(str(d) for d in self.diagnostics))
