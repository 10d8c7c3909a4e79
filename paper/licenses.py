"""Creative Commons licences: their SPDX identifiers, links and one-line statements."""

from __future__ import annotations

import re

CC_LICENSE = re.compile(r"^CC[ -]?(0|BY(?:[ -](?:SA|ND|NC|NC[ -]SA|NC[ -]ND))?)[ -]?(\d\.\d)(?:[ -](IGO))?$", re.I)
ELEMENTS = {
    "en": {"BY": "Attribution", "SA": "ShareAlike", "NC": "NonCommercial", "ND": "NoDerivatives"},
    "es": {"BY": "Atribución", "SA": "CompartirIgual", "NC": "NoComercial", "ND": "SinDerivadas"},
    "pt": {"BY": "Atribuição", "SA": "CompartilhaIgual", "NC": "NãoComercial", "ND": "SemDerivações"},
}
STATEMENT = {
    "en": "This work is licensed under a Creative Commons {name} {version}{scope} licence ({short}).",
    "es": "Esta obra está bajo una licencia Creative Commons {name} {version}{scope} ({short}).",
    "pt": "Esta obra está licenciada sob uma licença Creative Commons {name} {version}{scope} ({short}).",
}
PUBLIC_DOMAIN = {
    "en": "To the extent possible under law, the authors have waived all copyright in this work (CC0 1.0).",
    "es": "En la medida en que lo permite la ley, los autores renuncian a todos sus derechos "
          "sobre esta obra (CC0 1.0).",
    "pt": "Na medida do permitido por lei, os autores renunciam a todos os direitos sobre esta obra (CC0 1.0).",
}


IGO_IN_SPDX = {("BY",), ("BY", "SA"), ("BY", "NC", "SA"), ("BY", "NC", "ND")}
"""The intergovernmental organisations' licences (3.0 IGO) that the SPDX list names."""


def parse(text: str) -> tuple[tuple[str, ...], str, bool] | None:
    """'CC BY-NC 3.0 IGO' -> (('BY', 'NC'), '3.0', True); ((), '1.0', False) for CC0; None
    for a licence that is not a Creative Commons one (IGO exists only as 3.0)."""
    match = CC_LICENSE.match(text.strip())
    if not match or (match.group(3) and (match.group(2) != "3.0" or match.group(1) == "0")):
        return None
    kinds = () if match.group(1) == "0" else tuple(re.split(r"[ -]+", match.group(1).upper()))
    return kinds, match.group(2), bool(match.group(3))


def spdx_license(text: str) -> str:
    """'CC BY 4.0' -> 'CC-BY-4.0', 'CC BY 3.0 IGO' -> 'CC-BY-3.0-IGO'; '' for a licence that
    is not a Creative Commons one, or has no SPDX id (CC BY-NC 3.0 IGO)."""
    parsed = parse(text)
    if parsed is None:
        return ""
    kinds, version, igo = parsed
    if not kinds:
        return f"CC0-{version}"
    if igo and kinds not in IGO_IN_SPDX:
        return ""
    return "-".join(("CC", *kinds, version, *(("IGO",) if igo else ())))


def license_url(text: str) -> str:
    """The licence's page at creativecommons.org, or ''."""
    parsed = parse(text)
    if parsed is None:
        return ""
    kinds, version, igo = parsed
    if not kinds:
        return "https://creativecommons.org/publicdomain/zero/1.0/"
    return f"https://creativecommons.org/licenses/{'-'.join(kinds).lower()}/{version}/{'igo/' if igo else ''}"


def license_statement(text: str, language: str) -> tuple[str, str]:
    """(a one-sentence statement, the licence's URL) in the paper's language, or ('', '')."""
    parsed = parse(text)
    if parsed is None:
        return "", ""
    code = language.split("-")[0].lower()
    code = code if code in STATEMENT else "en"
    kinds, version, igo = parsed
    if not kinds:
        return PUBLIC_DOMAIN[code], license_url(text)
    name = "-".join(ELEMENTS[code][k] for k in kinds)
    short = "CC " + "-".join(kinds) + " " + version + (" IGO" if igo else "")
    scope = {"en": " International", "es": " Internacional", "pt": " Internacional"}[code]
    scope = " IGO" if igo else scope if version == "4.0" else ""  # only the 4.0 licences are "International"
    return STATEMENT[code].format(name=name, version=version, short=short, scope=scope), license_url(text)
