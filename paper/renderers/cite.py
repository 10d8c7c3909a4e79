"""'Cite this paper': the paper's own reference as BibTeX, RIS, CSL JSON and CITATION.cff,
and the deposit records a DOI registration needs (DataCite JSON and, with a DOI, DataCite
XML; a Zenodo deposition)."""

from __future__ import annotations

import json
from typing import Any

import yaml

from ..model import Artifact
from ..records import bibtex, cff, csl_item, datacite, datacite_xml, plain_text, ris, zenodo
from .registry import EditionJob


def render_cite(job: EditionJob) -> Artifact:
    manuscript, staging = job.manuscript, job.staging
    meta = manuscript.paper.meta
    folder = staging / "cite"
    folder.mkdir()
    name = manuscript.paper.slug
    abstract = plain_text(manuscript.abstract_html)
    files = {
        f"{name}.bib": bibtex(meta, name, abstract),
        f"{name}.ris": ris(meta, abstract),
        f"{name}.json": json.dumps([csl_item(meta, name, abstract)], indent=2, ensure_ascii=False),
        "CITATION.cff": yaml.dump(cff(meta, abstract), Dumper=_PlainDumper, sort_keys=False,
                                  allow_unicode=True, width=100),
        "datacite.json": json.dumps(datacite(meta, abstract), indent=2, ensure_ascii=False),
        "zenodo.json": json.dumps(zenodo(meta, manuscript.abstract_html), indent=2,
                                  ensure_ascii=False),
        "datacite.xml": datacite_xml(meta, abstract),
    }
    for filename, text in files.items():
        if not text:  # the DataCite XML, without a DOI
            continue
        (folder / filename).write_text(text.rstrip("\n") + "\n", encoding="utf-8")
    return Artifact("cite", folder)


class _PlainDumper(yaml.SafeDumper):
    """Writes repeated values out in full: CFF readers need not understand YAML anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True
