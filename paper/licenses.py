"""Creative Commons licences: their SPDX identifiers, links and one-line statements."""

from __future__ import annotations

import re

CC_LICENSE = re.compile(r"^CC[ -]?(0|BY(?:[ -](?:SA|ND|NC|NC[ -]SA|NC[ -]ND))?)[ -]?(\d\.\d)$", re.I)
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


def spdx_license(text: str) -> str:
    """'CC BY 4.0' -> 'CC-BY-4.0'; '' for a licence that is not a Creative Commons one."""
    match = CC_LICENSE.match(text.strip())
    if not match:
        return ""
    kind = re.sub(r"[ -]+", "-", match.group(1).upper())
    return f"CC0-{match.group(2)}" if kind == "0" else f"CC-{kind}-{match.group(2)}"


def license_statement(text: str, language: str) -> tuple[str, str]:
    """(a one-sentence statement, the licence's URL) in the paper's language, or ('', '')."""
    spdx = spdx_license(text)
    if not spdx:
        return "", ""
    code = language.split("-")[0].lower()
    code = code if code in STATEMENT else "en"
    parts = spdx.split("-")  # CC, BY, SA, 4.0  or  CC0, 1.0
    if parts[0] == "CC0":
        return PUBLIC_DOMAIN[code], "https://creativecommons.org/publicdomain/zero/1.0/"
    version, kinds = parts[-1], parts[1:-1]
    name = "-".join(ELEMENTS[code][k] for k in kinds)
    short = "CC " + "-".join(kinds) + " " + version
    url = f"https://creativecommons.org/licenses/{'-'.join(kinds).lower()}/{version}/"
    scope = {"en": " International", "es": " Internacional", "pt": " Internacional"}[code]
    scope = scope if version == "4.0" else ""  # only the 4.0 licences are "International"
    return STATEMENT[code].format(name=name, version=version, short=short, scope=scope), url
