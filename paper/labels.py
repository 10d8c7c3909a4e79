"""Words the outputs print themselves (not the authors'), in the paper's language."""

from __future__ import annotations

LABELS = {
    "en": {
        "report_number": "Report number", "translated_by": "Translated by",
        "funding": "Funding", "jel": "JEL codes",
        "grant": "grant",
        "series_papers": "Papers in the series", "all_papers": "All papers, newest first",
        "search_series": "Search all papers", "catalogue_feed": "Catalogue for reading apps (OPDS)",
        "in_language": "In",
        "note": "Note", "tip": "Tip", "warning": "Warning", "important": "Important", "caution": "Caution",
        "languages": "Languages", "other_languages": "Also in", "number_abbr": "no.",
        "untranslated": "This chapter has not been translated yet; it is shown in the original language.",
        "back_to_text": "Back to the text", "pages": "Pages", "start_of_content": "Start of content",
        "a11y_summary": ("This publication meets the requirements of EPUB Accessibility 1.1 and WCAG 2.1 "
                         "level AA as far as they can be checked automatically: it has a logical reading "
                         "order, navigation by headings and a table of contents, descriptions for every "
                         "image, and page numbers that match the PDF edition."),
        "figure": "Figure", "figures": "Figures", "table": "Table", "tables": "Tables",
        "box": "Box", "boxes": "Boxes", "equation": "Equation", "equations": "Equations",
        "chapter": "Chapter", "chapters": "Chapters", "section": "Section", "sections": "Sections",
        "appendix": "Appendix", "appendices": "Appendices", "part": "Part", "parts": "Parts",
        "and": "and", "page_abbr": "p.", "list_figures": "List of figures",
        "list_tables": "List of tables", "list_boxes": "List of boxes",
        "single_page": "The whole paper on one page", "search": "Search",
        "copy_button": "Copy", "copied": "Copied", "checksum": "SHA-256",
        "checksums": "File checksums",
        "checksums_why": ("To make sure a file you downloaded is complete and unchanged, compare its SHA-256 "
                          "checksum with the one shown here."),
        "skip": "Skip to content", "citation_files": "Citation files",
        "cover": "Cover", "draft": "DRAFT", "version": "Version", "cover_image": "Cover illustration",
        "back_cover": "Back cover", "on_this_page": "On this page",
        "logo": "Logo", "contributions": "With contributions from",
        "contents": "Contents", "references": "References", "abstract": "Abstract",
        "keywords": "Keywords", "session": "Drawn from the session", "by": "By",
        "download": "Download", "previous": "Previous", "next": "Next", "home": "Contents",
        "published_by": "Published by", "license": "Licence", "series": "Series",
        "page": "Page", "read_online": "Read online", "cite_as": "How to cite this paper",
        "imprint": "Publication details", "title_page": "Title page",
    },
    "es": {
        "report_number": "Número de informe", "translated_by": "Traducción de",
        "funding": "Financiación", "jel": "Códigos JEL",
        "grant": "subvención",
        "series_papers": "Documentos de la serie",
        "all_papers": "Todos los documentos, del más reciente al más antiguo",
        "search_series": "Buscar en todos los documentos",
        "catalogue_feed": "Catálogo para aplicaciones de lectura (OPDS)",
        "in_language": "En",
        "note": "Nota", "tip": "Consejo", "warning": "Advertencia", "important": "Importante", "caution": "Precaución",
        "languages": "Idiomas", "other_languages": "También en", "number_abbr": "n.º",
        "untranslated": "Este capítulo aún no se ha traducido; se muestra en el idioma original.",
        "back_to_text": "Volver al texto", "pages": "Páginas", "start_of_content": "Inicio del contenido",
        "a11y_summary": ("Esta publicación cumple los requisitos de EPUB Accessibility 1.1 y de WCAG 2.1, "
                         "nivel AA, en la medida en que pueden verificarse automáticamente: tiene un orden "
                         "de lectura lógico, navegación por títulos y un índice, descripciones de todas las "
                         "imágenes y números de página que coinciden con los de la edición en PDF."),
        "figure": "Figura", "figures": "Figuras", "table": "Cuadro", "tables": "Cuadros",
        "box": "Recuadro", "boxes": "Recuadros", "equation": "Ecuación", "equations": "Ecuaciones",
        "chapter": "Capítulo", "chapters": "Capítulos", "section": "Sección", "sections": "Secciones",
        "appendix": "Anexo", "appendices": "Anexos", "part": "Parte", "parts": "Partes",
        "and": "y", "page_abbr": "p.", "list_figures": "Índice de figuras",
        "list_tables": "Índice de cuadros", "list_boxes": "Índice de recuadros",
        "single_page": "El documento completo en una página", "search": "Buscar",
        "copy_button": "Copiar", "copied": "Copiado", "checksum": "SHA-256",
        "checksums": "Sumas de verificación",
        "checksums_why": ("Para asegurarse de que un archivo descargado está completo y sin cambios, compare "
                          "su suma SHA-256 con la que se muestra aquí."),
        "skip": "Ir al contenido", "citation_files": "Archivos de cita",
        "cover": "Portada", "draft": "BORRADOR", "version": "Versión", "cover_image": "Ilustración de portada",
        "back_cover": "Contraportada", "on_this_page": "En esta página",
        "logo": "Logotipo", "contributions": "Con contribuciones de",
        "contents": "Índice", "references": "Referencias", "abstract": "Resumen",
        "keywords": "Palabras clave", "session": "Basado en la sesión", "by": "Por",
        "download": "Descargar", "previous": "Anterior", "next": "Siguiente", "home": "Índice",
        "published_by": "Publicado por", "license": "Licencia", "series": "Serie",
        "page": "Página", "read_online": "Leer en línea", "cite_as": "Cómo citar este documento",
        "imprint": "Datos de la publicación", "title_page": "Portadilla",
    },
    "pt": {
        "report_number": "Número do relatório", "translated_by": "Tradução de",
        "funding": "Financiamento", "jel": "Códigos JEL",
        "grant": "subsídio",
        "series_papers": "Documentos da série", "all_papers": "Todos os documentos, do mais recente ao mais antigo",
        "search_series": "Pesquisar em todos os documentos",
        "catalogue_feed": "Catálogo para aplicativos de leitura (OPDS)",
        "in_language": "Em",
        "note": "Nota", "tip": "Dica", "warning": "Aviso", "important": "Importante", "caution": "Cuidado",
        "languages": "Idiomas", "other_languages": "Também em", "number_abbr": "n.º",
        "untranslated": "Este capítulo ainda não foi traduzido; é apresentado no idioma original.",
        "back_to_text": "Voltar ao texto", "pages": "Páginas", "start_of_content": "Início do conteúdo",
        "a11y_summary": ("Esta publicação atende aos requisitos da EPUB Accessibility 1.1 e das WCAG 2.1, "
                         "nível AA, na medida em que podem ser verificados automaticamente: tem uma ordem de "
                         "leitura lógica, navegação por títulos e um sumário, descrições de todas as imagens "
                         "e números de página que correspondem aos da edição em PDF."),
        "figure": "Figura", "figures": "Figuras", "table": "Tabela", "tables": "Tabelas",
        "box": "Quadro", "boxes": "Quadros", "equation": "Equação", "equations": "Equações",
        "chapter": "Capítulo", "chapters": "Capítulos", "section": "Seção", "sections": "Seções",
        "appendix": "Apêndice", "appendices": "Apêndices", "part": "Parte", "parts": "Partes",
        "and": "e", "page_abbr": "p.", "list_figures": "Lista de figuras",
        "list_tables": "Lista de tabelas", "list_boxes": "Lista de quadros",
        "single_page": "O documento inteiro numa página", "search": "Pesquisar",
        "copy_button": "Copiar", "copied": "Copiado", "checksum": "SHA-256",
        "checksums": "Somas de verificação",
        "checksums_why": ("Para ter certeza de que um arquivo baixado está completo e inalterado, compare sua "
                          "soma SHA-256 com a mostrada aqui."),
        "skip": "Ir para o conteúdo", "citation_files": "Arquivos de citação",
        "cover": "Capa", "draft": "RASCUNHO", "version": "Versão", "cover_image": "Ilustração da capa",
        "back_cover": "Contracapa", "on_this_page": "Nesta página",
        "logo": "Logotipo", "contributions": "Com contribuições de",
        "contents": "Sumário", "references": "Referências", "abstract": "Resumo",
        "keywords": "Palavras-chave", "session": "Baseado na sessão", "by": "Por",
        "download": "Baixar", "previous": "Anterior", "next": "Próximo", "home": "Sumário",
        "published_by": "Publicado por", "license": "Licença", "series": "Série",
        "page": "Página", "read_online": "Ler online", "cite_as": "Como citar este documento",
        "imprint": "Dados da publicação", "title_page": "Folha de rosto",
    },
}


def labels_for(language: str) -> dict[str, str]:
    """Labels for a BCP 47 tag: 'pt-BR' uses Portuguese; unknown languages fall back to English."""
    return LABELS.get(language.split("-")[0].lower(), LABELS["en"])

MONTHS = {
    "en": "January February March April May June July August September October November December",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
}


def long_date(iso: str, language: str) -> str:
    """'2012-12-10' as '10 December 2012' (en), '10 de diciembre de 2012' (es, pt)."""
    code = language.split("-")[0].lower()
    months = MONTHS.get(code, MONTHS["en"]).split()
    parts = [int(p) for p in iso.split("-")]
    if len(parts) == 1:
        return str(parts[0])
    month = months[parts[1] - 1]
    joiner = " de " if code in ("es", "pt") else " "
    text = f"{month}{joiner}{parts[0]}"
    return f"{parts[2]}{joiner}{text}" if len(parts) == 3 else text[0].upper() + text[1:]


def letter(n: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA."""
    text = ""
    while n:
        n, rest = divmod(n - 1, 26)
        text = chr(65 + rest) + text
    return text


def roman(n: int) -> str:
    """1 -> i, 4 -> iv, 12 -> xii."""
    out = ""
    for value, numeral in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                           (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        count, n = divmod(n, value)
        out += numeral * count
    return out
