"""Every diagnostic code, declared once: how bad it usually is, and what it means.

The editors' reference lists them (docs/editors-reference.md, "Messages"; a test keeps the
two alike), `--ignore CODE` and paper.yaml's `ignore:` silence a warning by its code, and a
diagnostic with a code not declared here is a bug (diagnostics.Diagnostic refuses it).
A code marked "error" may be reported as a warning where it cannot harm the outputs (a
problem in a bibliography entry nobody cites), and any warning is an error with --strict.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Code:
    level: Level
    summary: str


def _table(level: Level, text: str) -> dict[str, Code]:
    rows = (line.split(":", 1) for line in text.strip().splitlines())
    return {code.strip(): Code(level, summary.strip()) for code, summary in rows}


ERRORS = _table("error", """
comment: a comment in a Word manuscript being imported (import with --keep-comments to keep it)
import-edited: an import would replace a chapter or image changed since it was imported
import-exists: an import would change a file an earlier import wrote (import with --force)
import-format: a manuscript to import that is not a readable .docx or .odt file
import-no-headings: a manuscript to import with no heading where chapters start
tracked-change: a tracked change in a Word manuscript being imported (import with --accept-changes)
bad-date: a date in paper.yaml is not YYYY-MM-DD, YYYY-MM or YYYY
bad-doi: a DOI that is not of the form 10.1234/abcd
bad-funder-id: a funder-id that is neither a Crossref Funder Registry DOI nor a ROR id
bad-issn: an ISSN of the wrong form or with a wrong check digit
bad-ror: a ROR id of the wrong form or with a wrong checksum
duplicate-paper: a paper listed twice in series.yaml, or two papers with the same slug
no-papers: a series.yaml that lists no papers, or a series folder with none
paper-failed: a paper of a series that could not be built (its own messages say why)
bad-family-name: an author's family-name is not part of their name
bad-front-matter: a chapter's front matter cannot be read as YAML
bad-image: an image named in paper.yaml is not a usable picture
bad-isbn: an ISBN whose check digit is wrong
bad-language: a language tag that is not BCP 47, or listed twice
bad-orcid: an ORCID iD whose check digit is wrong
bad-slug: a slug with characters a file name should not have
bad-style: a .csl file that is not a citation style
bad-type: a paper.yaml or front-matter value of the wrong kind (text for a list…)
bad-url: a site-url that is not a web address
bad-value: a value not among those allowed for its key
bibliography-too-large: references.bib is larger than any paper's bibliography
bibtex-syntax: a bibliography entry that cannot be read (a warning: it is left out)
broken-link: a link to an id that no chapter has
broken-reference: a cross-reference (@fig:…, \\@ref(…)) to an id nothing has
broken-site-link: a page of the website links to a page or anchor it does not have
chapter-exists: paper chapter would overwrite an existing chapter
chapter-too-large: a chapter file larger than the limit
config-too-large: paper.yaml larger than a paper's details could be
crossref-cycle: bibliography entries that cross-reference each other in a circle
duplicate-chapter: a chapter file named twice in paper.yaml
duplicate-chapter-id: two chapters whose ids are the same
duplicate-citation-key: two bibliography entries with the same key, one of them cited
duplicate-id: the same {#id} given twice
duplicate-translation: two translations of the same chapter
empty-config: paper.yaml is empty
field-too-long: a bibliography field longer than any real one
folder-not-empty: paper new would write into a folder that has files
misplaced-id: a cross-reference id on something that cannot carry it
missing-chapter: a chapter file named in paper.yaml does not exist
missing-file: a file named in paper.yaml is not inside the project
missing-image: an image that does not exist, or is outside the project
missing-key: a required key of paper.yaml is not given
no-chapters: the project has no chapters
no-config: the project has no paper.yaml
no-notes: paper chapter was given notes that do not exist
no-title: a chapter without a heading
not-utf8: a file that is not UTF-8 text
os-error: a file that cannot be read or written (a full or read-only disk)
outside-link: a link to a file outside the paper
outside-project: a file that is a link to somewhere outside the project
pandoc: pandoc cannot read a chapter, or reports a problem with it
raw-format: raw content in a format other than HTML (LaTeX, RTF…), which is left out
refused-url: a template asks for a file the build may not read
remote-image: an image on the internet, which the build never fetches
system-library: a library WeasyPrint needs (Pango) is not installed
template: a project template that cannot be used
time-limit: the build took longer than allowed
too-deep: a chapter nested deeper than the limit
too-many-chapters: more chapter files than the limit
unclosed-block: a fenced code block or div that is never closed
unknown-citation: a citation of a key the bibliography does not have
unknown-edition: editions: names a language not under languages:
unknown-source: a translation of a chapter that does not exist
unknown-style: a citation style that is neither shipped nor a .csl file in the project
unsafe-html: raw HTML with scripts, event handlers or other active content, which is removed
unsafe-link: a link or image address of a kind a reader's browser should not follow
yaml-syntax: paper.yaml or front matter that is not valid YAML
yaml-too-deep: YAML nested deeper than any paper's details
""")

WARNINGS = _table("warning", """
import-heading: a heading of a manuscript being imported that does not start a chapter
import-image: a picture in a manuscript being imported that needs attention
import-kept: a chapter file that an import leaves as it is, though the manuscript does not have it
bad-math: a formula that cannot be drawn, shown as its TeX
book-title: a book title taken from index.Rmd or index.qmd
broken-names: author or editor names in a bibliography entry that cannot be split
code-not-run: code chunks (knitr, Quarto) are shown as code, not run
deposit-metadata: a field DataCite or Zenodo requires is missing (checked once the paper has a DOI, or with --deposit)
duplicate-key: the same key given twice in front matter
font-subsetter: WeasyPrint cannot use HarfBuzz's font subsetter here, so the PDF's bytes differ from other machines
foreign-key: another tool's front-matter key, ignored, with what to use here
foreign-settings: another tool's settings (output:, bibliography:…), ignored
key-case: bibliography keys that differ only by upper and lower case
missing-field: a bibliography entry lacks a field its type needs
missing-notes: a chapter's notes: file does not exist
missing-title: a cited bibliography entry without a title
missing-translation: a chapter not yet translated (the source chapter is used)
no-alt-text: an image without a description for readers who cannot see it
no-source-hash: a translation that does not say which version of its source it translates
placeholder: paper.yaml or a chapter still has the sample text of paper new
stale-translation: a translation whose source chapter has changed since
undefined-string: a bibliography @string that is not defined
unknown-crossref: a bibliography crossref to an entry that does not exist
unknown-entry-type: a bibliography entry type that is printed as a plain document
unknown-key: a key this tool does not know (did you mean…?)
unlisted-chapter: a chapter file not listed in paper.yaml's chapters:
untranslated-title: a translated edition without its own title
unused-reference: a bibliography entry nobody cites, which is not printed
weasyprint: WeasyPrint, laying out the PDF, ignored a rule of a stylesheet or could not use a file
""")

CODES: dict[str, Code] = {**ERRORS, **WARNINGS}


def why_not_ignorable(code: str) -> str:
    """Why `--ignore CODE` or `ignore:` cannot take this code, or "" if it can: only warnings
    may be silenced."""
    if code not in CODES:
        close = difflib.get_close_matches(code, sorted(CODES), n=1)
        hint = f"did you mean '{close[0]}'?" if close else "see the list of messages in the editors' reference"
        return f"'{code}' is not a message code: {hint}"
    if CODES[code].level == "error":
        return f"'{code}' is an error, which cannot be ignored: correct what it reports"
    return ""


def markdown() -> str:
    """The editors' reference's table of messages, made from the declarations above."""
    rows = [f"| `{name}` | {code.level} | {code.summary} |" for name, code in sorted(CODES.items())]
    return "\n".join(["| Code | Level | What it reports |", "|---|---|---|", *rows])


if __name__ == "__main__":  # python -m paper.codes: the table to paste into the reference
    print(markdown())
