"""YAML with line numbers: every value found is paired with the line it was written on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Diagnostic, error

Key = tuple[Any, ...]


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases: `*name` repeats a value by reference, and a few
    lines of them nest into billions of values ("billion laughs")."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "an alias (*name) repeats another value by "
                                              "reference; this tool does not allow them", mark)
        return super().compose_node(parent, index)

    def construct_yaml_timestamp(self, node):
        """A date that cannot be (2020-13-01) stays text, for its key's check to report."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def parse_yaml(
    text: str, path: Path, first_line: int = 1
) -> tuple[Any, dict[Key, int], list[Diagnostic]]:
    """Parse YAML text; return (data, line of each key path, diagnostics).

    `first_line` is the line of the file on which `text` starts, so that front matter
    in a chapter reports the chapter's own line numbers. Duplicate keys, which PyYAML
    silently accepts, are reported as errors.
    """
    offset = first_line - 1
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, []
        lines: dict[Key, int] = {}
        problems: list[Diagnostic] = []
        _walk(node, (), lines, problems, path, offset)
        data = loader.construct_document(node)
    except RecursionError:
        return None, {}, [error(path, first_line, "yaml-too-deep",
                                "the YAML nests lists or keys far too deeply: simplify it")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark and mark is not None and mark.index >= len(text.rstrip()):
            mark = exc.context_mark  # "unexpected end": the opening bracket or quote is the place
        line = mark.line + 1 + offset if mark else first_line
        what = (exc.problem or exc.context or "not valid YAML").strip()
        hint = ("write the value out in full instead" if "alias" in what else
                "check the indentation and that text containing ':' or '#' is in quotes")
        return None, {}, [error(path, line, "yaml-syntax", f"invalid YAML: {what} ({hint})")]
    finally:
        loader.dispose()
    return data, lines, problems


def _walk(node, key: Key, lines: dict, problems: list, path: Path, offset: int) -> None:
    lines[key] = node.start_mark.line + 1 + offset
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for k, v in node.value:
            name = k.value if isinstance(k, yaml.ScalarNode) else str(k.value)
            if name in seen:
                problems.append(error(path, k.start_mark.line + 1 + offset, "duplicate-key",
                                      f"'{name}' is given twice; keep only one"))
            seen.add(name)
            _walk(v, key + (name,), lines, problems, path, offset)
            lines[key + (name,)] = k.start_mark.line + 1 + offset
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, key + (i,), lines, problems, path, offset)
