"""The paper's own records, made from its metadata alone: its reference as BibTeX, RIS, CSL
JSON and CITATION.cff, and the deposit records a DOI registration needs (DataCite JSON, a
Zenodo deposition), with the check of what those services would refuse."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, warning
from .licenses import license_url, spdx_license
from .model import Author, Funding, PaperMeta

# ISO 639-3 codes for Zenodo, which wants three letters.
LANGUAGE_639_3 = {"en": "eng", "es": "spa", "pt": "por", "fr": "fra", "de": "deu", "it": "ita",
                  "nl": "nld", "id": "ind", "ar": "ara", "zh": "zho", "ru": "rus", "ja": "jpn"}
RESOURCE_TYPE = "Discussion paper"
# The fields each registration service refuses a record without.
DATACITE_REQUIRED = ("doi", "creators", "titles", "publisher", "publicationYear", "types")
ZENODO_REQUIRED = ("upload_type", "publication_type", "publication_date", "title", "creators",
                   "description", "access_right", "license")


def check_deposit(meta: PaperMeta) -> list[Diagnostic]:
    """What DataCite or Zenodo would refuse, reported before building as one warning each."""
    problems = []
    records = (("DataCite", datacite(meta, meta.abstract)["data"]["attributes"], DATACITE_REQUIRED),
               ("Zenodo", zenodo(meta, meta.abstract)["metadata"], ZENODO_REQUIRED))
    for service, record, required in records:
        missing = [field for field in required if not record.get(field)]
        if missing:
            hints = "; ".join(dict.fromkeys(_hint(field) for field in missing))
            problems.append(warning(Path("paper.yaml"), 0, "deposit-metadata",
                                    f"the {service} record lacks {', '.join(missing)}, which "
                                    f"{service} requires: {hints}"))
    return problems


def _hint(field: str) -> str:
    return {
        "doi": "add 'doi:' once the DOI is reserved",
        "publisher": "add 'publisher:'",
        "description": "add 'abstract:'",
        "license": "give 'license:' as a Creative Commons licence such as CC BY 4.0",
        "publication_date": "give 'date:' as a full date, YYYY-MM-DD",
    }.get(field, f"add '{field}:'")


def year(meta: PaperMeta) -> str:
    return meta.date[:4]


def full_title(meta: PaperMeta) -> str:
    return f"{meta.title}: {meta.subtitle}" if meta.subtitle else meta.title


def bibtex_name(author: Author) -> str:
    """A name for BibTeX's author field, already escaped (an organisation in braces, so that
    BibTeX never splits it)."""
    if author.organization:
        return f"{{{_bibtex_escape(author.name)}}}"
    return f"{_bibtex_escape(author.family)}, {_bibtex_escape(author.given)}"


def bibtex(meta: PaperMeta, key: str, abstract: str) -> str:
    fields = {
        "author": " and ".join(bibtex_name(a) for a in meta.authors),
        "title": full_title(meta),
        "institution": meta.publisher,
        "type": meta.series.name if meta.series else RESOURCE_TYPE,
        "number": meta.series.number if meta.series else "",
        "year": year(meta),
        "month": meta.date[5:7].lstrip("0") if len(meta.date) >= 7 else "",
        "doi": meta.doi,
        "isbn": meta.isbn,
        "language": meta.language,
        "keywords": ", ".join(meta.keywords),
        "abstract": abstract,
        "copyright": meta.license,
    }
    escaped = {name: value if name == "author" else _bibtex_escape(value) for name, value in fields.items()}
    escaped["title"] = f"{{{escaped['title']}}}"  # kept as written: no lower-casing by styles
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in escaped.items() if fields[name])
    return f"@techreport{{{key},\n{body}\n}}\n"


def one_line(text: str) -> str:
    """A value on one line: RIS and BibTeX readers take a line break for the start of a new
    record or field."""
    return " ".join(text.split())


def _bibtex_escape(text: str) -> str:
    """A value inside BibTeX braces: a brace or backslash of its own can no longer close the
    field and open another."""
    text = one_line(text).replace("\\", "\\textbackslash ").replace("{", "\\{").replace("}", "\\}")
    return re.sub(r"([%&#_$])", r"\\\1", text).replace("\\textbackslash ", "{\\textbackslash}")


def ris(meta: PaperMeta, abstract: str) -> str:
    lines = [("TY", "RPRT")]
    for author in meta.authors:
        lines.append(("AU", author.name if author.organization else f"{author.family}, {author.given}"))
    lines += [("TI", full_title(meta)), ("PY", year(meta)), ("DA", meta.date.replace("-", "/")),
              ("PB", meta.publisher), ("LA", meta.language), ("AB", abstract),
              ("DO", meta.doi), ("SN", meta.isbn)]
    if meta.series:
        lines += [("T3", meta.series.name), ("VL", meta.series.number)]
    lines += [("KW", keyword) for keyword in meta.keywords]
    body = "\n".join(f"{tag}  - {one_line(value)}" for tag, value in lines if one_line(value))
    return body + "\nER  - \n"


def csl_name(author: Author) -> dict[str, str]:
    return {"literal": author.name} if author.organization else {"family": author.family,
                                                                 "given": author.given}


def csl_item(meta: PaperMeta, key: str, abstract: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": key, "type": "report", "title": full_title(meta),
        "author": [csl_name(a) for a in meta.authors],
        "issued": {"date-parts": [[int(p) for p in meta.date.split("-")]]},
        "publisher": meta.publisher, "genre": RESOURCE_TYPE, "language": meta.language,
        "abstract": abstract, "DOI": meta.doi, "ISBN": meta.isbn,
        "keyword": ", ".join(meta.keywords),
    }
    if meta.series:
        item.update({"collection-title": meta.series.name, "number": meta.series.number})
    return {k: v for k, v in item.items() if v}


def cff_author(author: Author) -> dict[str, str]:
    if author.organization:
        return {"name": author.name}  # a CFF entity has no affiliation
    person = {"family-names": author.family, "given-names": author.given}
    if author.affiliation:
        person["affiliation"] = author.affiliation
    if author.orcid:
        person["orcid"] = f"https://orcid.org/{author.orcid}"
    return person


def cff(meta: PaperMeta, abstract: str) -> dict[str, Any]:
    authors = [cff_author(a) for a in meta.authors]
    reference: dict[str, Any] = {"type": "report", "title": full_title(meta), "authors": authors,
                                 "year": int(year(meta))}
    if len(meta.date) >= 7:
        reference["month"] = int(meta.date[5:7])
    if meta.publisher:
        reference["publisher"] = {"name": meta.publisher}
    if meta.series:
        reference["collection-title"] = meta.series.name
        if meta.series.number:
            reference["number"] = meta.series.number
    record: dict[str, Any] = {
        "cff-version": "1.2.0",
        "message": "If you use this paper, please cite it as below.",
        "title": full_title(meta),
        "authors": authors,
    }
    if abstract:
        record["abstract"] = abstract
    if len(meta.date) == 10:
        record["date-released"] = meta.date
    for target in (record, reference):
        if meta.doi:
            target["doi"] = meta.doi
        if spdx_license(meta.license):
            target["license"] = spdx_license(meta.license)
    if meta.keywords:
        record["keywords"] = list(meta.keywords)
    if meta.isbn:
        reference["isbn"] = meta.isbn
    reference["languages"] = [meta.language.split("-")[0]]
    record["preferred-citation"] = reference
    return record


def datacite_creator(author: Author) -> dict[str, Any]:
    if author.organization:
        creator: dict[str, Any] = {"name": author.name, "nameType": "Organizational"}
    else:
        creator = {"name": f"{author.family}, {author.given}", "nameType": "Personal",
                   "givenName": author.given, "familyName": author.family}
    if author.affiliation or author.ror:
        affiliation: dict[str, Any] = {"name": author.affiliation or f"https://ror.org/{author.ror}"}
        if author.ror:
            affiliation.update(affiliationIdentifier=f"https://ror.org/{author.ror}",
                               affiliationIdentifierScheme="ROR", schemeUri="https://ror.org")
        creator["affiliation"] = [affiliation]
    if author.orcid:
        creator["nameIdentifiers"] = [{"nameIdentifier": f"https://orcid.org/{author.orcid}",
                                       "nameIdentifierScheme": "ORCID",
                                       "schemeUri": "https://orcid.org"}]
    return creator


JEL_SCHEME = "https://www.aeaweb.org/econlit/jelCodes.php"


def datacite(meta: PaperMeta, abstract: str) -> dict[str, Any]:
    """A DataCite record (metadata schema 4.5), as the REST API takes it to make a draft or
    findable DOI; its attributes are also what the DataCite XML is written from."""
    titles = [{"title": meta.title, "lang": meta.language}]
    if meta.subtitle:
        titles.append({"title": meta.subtitle, "titleType": "Subtitle", "lang": meta.language})
    attributes: dict[str, Any] = {
        "doi": meta.doi,
        "creators": [datacite_creator(a) for a in meta.authors],
        "titles": titles,
        "publisher": {"name": meta.publisher} if meta.publisher else "",
        "publicationYear": year(meta) if meta.date else None,
        "types": {"resourceTypeGeneral": "Text", "resourceType": RESOURCE_TYPE},
        "schemaVersion": "http://datacite.org/schema/kernel-4",
        "language": meta.language,
        "subjects": [{"subject": k} for k in meta.keywords] + [
            {"subject": code, "subjectScheme": "JEL", "schemeUri": JEL_SCHEME, "classificationCode": code}
            for code in meta.jel],
        # DataCite 4.5 has no translator role: "Other", with the person named
        "contributors": [{**datacite_creator(t), "contributorType": "Other"} for t in meta.translators],
        "dates": [{"date": meta.date, "dateType": "Issued"}],
        "descriptions": ([{"description": abstract, "descriptionType": "Abstract"}]
                         if abstract else []),
        "fundingReferences": [funding_reference(f) for f in meta.funding],
    }
    if spdx_license(meta.license):
        identifier = spdx_license(meta.license)
        attributes["rightsList"] = [{"rights": meta.license, "rightsUri": license_url(meta.license),
                                     "rightsIdentifier": identifier.lower(), "rightsIdentifierScheme": "SPDX",
                                     "schemeUri": "https://spdx.org/licenses/"}]
    elif license_url(meta.license):  # a licence SPDX does not list (CC BY-NC 3.0 IGO): its address
        attributes["rightsList"] = [{"rights": meta.license, "rightsUri": license_url(meta.license)}]
    related = []
    if meta.isbn:
        related.append({"relatedIdentifier": meta.isbn, "relatedIdentifierType": "ISBN",
                        "relationType": "IsVariantFormOf"})
    if meta.series and meta.series.issn:
        related.append({"relatedIdentifier": meta.series.issn, "relatedIdentifierType": "ISSN",
                        "relationType": "IsPartOf"})
    if not any(e.language == meta.language for e in meta.editions):  # the source, with its translations' own
        related += [{"relatedIdentifier": e.doi, "relatedIdentifierType": "DOI", "relationType": "IsOriginalFormOf"}
                    for e in meta.editions if e.doi and e.doi != meta.doi]
    attributes["relatedIdentifiers"] = related
    number = meta.report_number or (meta.series.number if meta.series else "")
    if meta.report_number:
        attributes["alternateIdentifiers"] = [{"alternateIdentifier": meta.report_number,
                                               "alternateIdentifierType": "Report number"}]
    if meta.series:
        attributes["descriptions"].append({"description": f"{meta.series.name} {number}".strip(),
                                           "descriptionType": "SeriesInformation"})
    return {"data": {"type": "dois", "attributes": {k: v for k, v in attributes.items()
                                                    if v not in ("", [], None)}}}


def funding_reference(funding: Funding) -> dict[str, str]:
    reference = {"funderName": funding.funder}
    if funding.funder_id:
        ror = not funding.funder_id.startswith("10.")
        reference["funderIdentifier"] = (f"https://ror.org/{funding.funder_id}" if ror and "/" not in funding.funder_id
                                         else funding.funder_id if ror else f"https://doi.org/{funding.funder_id}")
        reference["funderIdentifierType"] = "ROR" if ror else "Crossref Funder ID"
    if funding.award:
        reference["awardNumber"] = funding.award
    return reference


def datacite_xml(meta: PaperMeta, abstract: str) -> str:
    """The same record as DataCite XML (kernel 4.5), written by the datacite package; empty
    without a DOI, which the XML requires."""
    if not meta.doi:
        return ""
    import jsonschema
    from datacite import schema45

    attributes = dict(datacite(meta, abstract)["data"]["attributes"])
    try:
        schema45.validator.validate(attributes)
    except jsonschema.ValidationError:  # a field DataCite requires is missing: check_deposit says which
        return ""
    return schema45.tostring(attributes)


def zenodo_creator(author: Author) -> dict[str, str]:
    creator = {"name": author.name if author.organization else f"{author.family}, {author.given}"}
    if author.affiliation:
        creator["affiliation"] = author.affiliation
    if author.orcid:
        creator["orcid"] = author.orcid
    return creator


def zenodo(meta: PaperMeta, description_html: str) -> dict[str, Any]:
    """A Zenodo deposition's metadata (legacy REST API), as a working paper."""
    license_id = spdx_license(meta.license).lower()
    metadata: dict[str, Any] = {
        "upload_type": "publication",
        "publication_type": "workingpaper",
        "publication_date": meta.date if len(meta.date) == 10 else "",
        "title": full_title(meta),
        "creators": [zenodo_creator(a) for a in meta.authors],
        "description": description_html.strip(),
        "access_right": "open",
        "license": license_id,
        "keywords": list(meta.keywords),
        "language": LANGUAGE_639_3.get(meta.language.split("-")[0], ""),
        "doi": meta.doi,
        "imprint_publisher": meta.publisher,
        "imprint_isbn": meta.isbn,
        "notes": f"{meta.series.name} {meta.series.number}".strip() if meta.series else "",
    }
    return {"metadata": {k: v for k, v in metadata.items() if v not in ("", [], None)}}


def plain_text(html: str) -> str:
    """HTML (an abstract) as one line of text, for records that take no markup."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
