"""A Crossref deposit for the papers of a series: one report-paper record per edition with a
DOI (Crossref's schema 5.5.0, a working paper in a series), with the series' name and ISSN, the
authors and translators with their ORCID iDs and ROR affiliations, the abstract, the publisher
and its ROR id, the report number, the funders, the licence, and which edition translates
which. Crossref checks a deposit itself when it is sent; the tests check it against Crossref's
own schema."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from xml.etree import ElementTree

from . import pandoc
from .editions import edition_meta
from .licenses import license_url
from .model import Author, PaperMeta
from .series import SeriesMeta

NS = "http://www.crossref.org/schema/5.5.0"
SPACES = {"": NS, "xsi": "http://www.w3.org/2001/XMLSchema-instance", "jats": "http://www.ncbi.nlm.nih.gov/JATS1",
          "ai": "http://www.crossref.org/AccessIndicators.xsd", "fr": "http://www.crossref.org/fundref.xsd",
          "rel": "http://www.crossref.org/relations.xsd"}
SCHEMA = f"{NS} https://www.crossref.org/schemas/crossref5.5.0.xsd"


def q(name: str) -> str:
    """'jats:p' -> '{http://www.ncbi.nlm.nih.gov/JATS1}p'; a bare name is Crossref's."""
    prefix, _, local = name.rpartition(":")
    return f"{{{SPACES[prefix]}}}{local}"


HYPHENED = {"relationship_type": "relationship-type", "identifier_type": "identifier-type",
            "lang": "{http://www.w3.org/XML/1998/namespace}lang"}
"""Attribute names that cannot be Python keywords as they are."""


def add(parent: ElementTree.Element, tag: str, text: str = "", /, **attributes: str) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, q(tag), {HYPHENED.get(k, k): v for k, v in attributes.items()})
    if text:
        element.text = text
    return element


def deposit(series: SeriesMeta, papers: list[tuple[PaperMeta, str]], cwd: Path) -> str:
    """The deposit XML for `papers` (each paper's metadata and its landing page's address)."""
    for prefix, uri in SPACES.items():
        ElementTree.register_namespace(prefix, uri)
    stamp = int(os.environ.get("SOURCE_DATE_EPOCH") or time.time())
    when = dt.datetime.fromtimestamp(stamp, dt.timezone.utc).strftime("%Y%m%d%H%M%S")
    batch = ElementTree.Element(q("doi_batch"), {"version": "5.5.0", q("xsi:schemaLocation"): SCHEMA})
    head = add(batch, "head")
    add(head, "doi_batch_id", f"{series.issn or 'series'}-{when}")
    add(head, "timestamp", when)
    depositor = add(head, "depositor")
    add(depositor, "depositor_name", series.depositor[0])
    add(depositor, "email_address", series.depositor[1])
    add(head, "registrant", series.publisher or series.name)
    body = add(batch, "body")
    for meta, page in papers:
        for edition, address in editions(meta, page):
            record(add(body, "report-paper"), series, edition, address, meta, cwd)
    ElementTree.indent(batch)
    return ElementTree.tostring(batch, encoding="unicode", xml_declaration=True) + "\n"


def editions(meta: PaperMeta, page: str) -> list[tuple[PaperMeta, str]]:
    """The source and every translation with a DOI of its own, each with its landing page."""
    found = [(meta, page)]
    for edition in meta.editions:
        if edition.doi:
            found.append((edition_meta(meta, edition.language, ""), f"{page}{edition.language.lower()}/"))
    return found


def record(parent: ElementTree.Element, series: SeriesMeta, meta: PaperMeta, page: str, source: PaperMeta,
           cwd: Path) -> None:
    """One edition as a working paper in the series."""
    item = add(parent, "report-paper_series_metadata", language=meta.language.split("-")[0])
    about = add(item, "series_metadata")
    add(add(about, "titles"), "title", series.name_in(meta.language))
    if series.issn:
        add(about, "issn", series.issn, media_type="electronic")
    people = add(item, "contributors")
    for i, person in enumerate(meta.authors):
        contributor(people, person, "first" if i == 0 else "additional", "author")
    for person in meta.translators:
        contributor(people, person, "additional", "translator")
    titles = add(item, "titles")
    add(titles, "title", meta.title)
    if meta.subtitle:
        add(titles, "subtitle", meta.subtitle)
    if meta.abstract:
        abstract = add(item, "jats:abstract", lang=meta.language)
        for paragraph in paragraphs(meta.abstract, cwd):
            add(abstract, "jats:p", paragraph)
    issued = add(item, "publication_date", media_type="online")
    year, month, day = (meta.date.split("-") + ["", ""])[:3]
    if month:
        add(issued, "month", month)
    if day:
        add(issued, "day", day)
    add(issued, "year", year)
    if meta.publisher:
        add(add(item, "publisher"), "publisher_name", meta.publisher)
        institution = add(item, "institution")
        add(institution, "institution_name", meta.publisher)
        if series.ror and meta.publisher == series.publisher:
            add(institution, "institution_id", f"https://ror.org/{series.ror}", type="ror")
    number = meta.report_number or (meta.series.number if meta.series else "")
    if number:
        add(add(item, "publisher_item"), "item_number", number, item_number_type="report-number")
    if meta.funding:
        program = add(item, "fr:program", name="fundref")
        for funding in meta.funding:
            group = add(program, "fr:assertion", name="fundgroup")
            funder = add(group, "fr:assertion", funding.funder, name="funder_name")
            if funding.funder_id:
                ident = funding.funder_id if funding.funder_id.startswith("https://") else (
                    f"https://doi.org/{funding.funder_id}" if funding.funder_id.startswith("10.")
                    else f"https://ror.org/{funding.funder_id}")
                add(funder, "fr:assertion", ident, name="ror" if "ror.org" in ident else "funder_identifier")
            if funding.award:
                add(group, "fr:assertion", funding.award, name="award_number")
    if license_url(meta.license):
        access = add(item, "ai:program", name="AccessIndicators")
        add(access, "ai:free_to_read")
        add(access, "ai:license_ref", license_url(meta.license), applies_to="vor")
    data = add(item, "doi_data")
    add(data, "doi", meta.doi)
    add(data, "resource", page)
    related = [(e.doi, "hasTranslation") for e in source.editions if e.doi and e.doi != meta.doi]
    if meta.doi != source.doi:
        related = [(source.doi, "isTranslationOf")]
    if related:
        program = add(item, "rel:program", name="relations")
        for doi, kind in related:
            add(add(program, "rel:related_item"), "rel:intra_work_relation", doi, relationship_type=kind,
                identifier_type="doi")


def contributor(parent: ElementTree.Element, person: Author, sequence: str, role: str) -> None:
    if person.organization:
        add(parent, "organization", person.name, sequence=sequence, contributor_role=role)
        return
    name = add(parent, "person_name", sequence=sequence, contributor_role=role)
    if person.given:
        add(name, "given_name", person.given)
    add(name, "surname", person.family)
    if person.affiliation or person.ror:
        institution = add(add(name, "affiliations"), "institution")
        if person.affiliation:  # a ROR id alone names the institution too
            add(institution, "institution_name", person.affiliation)
        if person.ror:
            add(institution, "institution_id", f"https://ror.org/{person.ror}", type="ror")
    if person.orcid:
        add(name, "ORCID", f"https://orcid.org/{person.orcid}")


def paragraphs(markdown: str, cwd: Path) -> list[str]:
    """An abstract's paragraphs as plain text (Crossref's abstracts are JATS; emphasis is dropped)."""
    text = pandoc.run(["-f", "markdown", "-t", "plain", "--wrap=none"], markdown, cwd, 0, quiet=True)
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]
