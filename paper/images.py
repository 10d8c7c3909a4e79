"""Whether an image file may go into the outputs: a real picture, within the size limits, and
for SVG drawings, nothing that runs, loads another file or multiplies itself. Raster images
are measured from their header (Pillow) before WeasyPrint decodes them; SVG is read with an
XML parser (expat), never searched as text."""

from __future__ import annotations

import functools
from pathlib import Path
from xml.parsers import expat

from PIL import Image

from .model import Limits
from .resolve import Resolver, refusal, scheme

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
SVG_FORBIDDEN = {"script", "foreignObject", "iframe", "object", "embed", "audio", "video", "handler", "listener"}
SVG_ANIMATION = {"animate", "set", "animateMotion", "animateTransform", "discard"}


class _SvgProblem(Exception):
    pass


class _Element:
    """An element of a drawing: how many elements it holds and what its <use>s repeat."""

    def __init__(self, ident: str):
        self.ident = ident
        self.count = 1
        self.uses: list[str] = []


def svg_problem(path: Path, limits: Limits) -> str:
    """Why an SVG drawing may not be used, or ""."""
    stack: list[_Element] = []
    by_id: dict[str, _Element] = {}
    top: list[_Element] = []
    in_style = False

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal in_style
        local = name.rsplit(" ", 1)[-1]
        if local in SVG_FORBIDDEN:
            raise _SvgProblem(f"contains a <{local}> element, which could run code or load other content")
        href = ""
        for key, value in attributes.items():
            attribute = key.rsplit(" ", 1)[-1]
            squeezed = value.replace(" ", "").lower()
            if attribute.lower().startswith("on"):
                raise _SvgProblem(f"has an event handler ({attribute}), which could run code")
            if attribute == "href":
                href = value.strip()
                if not href.startswith("#") and not (scheme(href) == "data"
                                                     and href[5:].lower().startswith("image/")):
                    raise _SvgProblem(f"refers to another file or address ({href[:60]}); embed the "
                                      "picture in the drawing or save it as a separate image")
            if "url(" in squeezed and "url(#" not in squeezed or "@import" in squeezed:
                raise _SvgProblem("loads another file through a url() in its styles")
            if local in SVG_ANIMATION and ("href" in squeezed or scheme(value)):
                raise _SvgProblem(f"has an <{local}> that changes a link, which could run code")
        element = _Element(attributes.get("id", ""))
        for ancestor in stack:
            ancestor.count += 1
            if local == "use":
                ancestor.uses.append(href.removeprefix("#"))
        if element.ident:
            by_id.setdefault(element.ident, element)
        if not stack:
            top.append(element)
        if sum(e.count for e in top) > limits.svg_elements:
            raise _SvgProblem(f"has more than {limits.svg_elements:,} elements")
        stack.append(element)
        in_style = local == "style"

    def end(_name: str) -> None:
        nonlocal in_style
        stack.pop()
        in_style = False

    def text(data: str) -> None:
        squeezed = data.replace(" ", "").lower()
        if in_style and ("@import" in squeezed or ("url(" in squeezed and "url(#" not in squeezed)):
            raise _SvgProblem("loads another file through its stylesheet")

    def entity(*_args) -> None:
        raise _SvgProblem("declares XML entities, which drawings do not need")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.EntityDeclHandler = entity
    parser.ExternalEntityRefHandler = lambda *args: 0
    try:
        with path.open("rb") as file:
            parser.ParseFile(file)
    except _SvgProblem as problem:
        return str(problem)
    except expat.ExpatError as exc:
        reason = expat.errors.messages.get(exc.code, "XML error")
        return f"is not a well-formed SVG drawing ({reason}, line {exc.lineno})"
    if not top or not top[0].count:
        return "is not an SVG drawing"
    sizes: dict[str, int] = {}

    def size(element: _Element, seen: frozenset[str]) -> int:
        if element.ident in sizes:
            return sizes[element.ident]
        if len(seen) > 100:  # a chain of <use> a hundred deep: no drawing needs one
            return 10 * limits.svg_elements
        total = element.count
        for target in element.uses:
            if target in by_id and target not in seen:
                total += size(by_id[target], seen | {element.ident})
            total = min(total, 10 * limits.svg_elements)
        if element.ident:
            sizes[element.ident] = total
        return total

    if sum(size(e, frozenset()) for e in top) > limits.svg_elements:
        return f"repeats its elements by <use> into more than {limits.svg_elements:,}; simplify the drawing"
    return ""


@functools.lru_cache(maxsize=4096)
def image_problem(path: Path, limits: Limits, _stamp: tuple[int, int] = (0, 0)) -> str:
    """Why the image file at `path` cannot be used, or "" if it can."""
    size = path.stat().st_size
    if size > limits.image_mb * 1_000_000:
        return f"is {size // 1_000_000} MB, too large for a paper: reduce it below {limits.image_mb} MB"
    with path.open("rb") as file:
        head = file.read(1024).lstrip(b"\xef\xbb\xbf").lstrip()
    if head.startswith((b"<svg", b"<?xml", b"<!--", b"<!DOCTYPE svg")):
        return svg_problem(path, limits)
    try:
        with Image.open(path) as picture:
            kind, (width, height) = picture.format, picture.size
    except Image.DecompressionBombError:
        return f"has far too many pixels: reduce it below {limits.image_megapixels} megapixels"
    except (OSError, ValueError, SyntaxError):
        return "is not a picture (PNG, JPEG, GIF, WebP or SVG): check that it is the right file"
    if kind not in ("PNG", "JPEG", "GIF", "WEBP"):
        return f"is a {kind} picture, which not every format can show: save it as PNG or JPEG"
    if width * height > limits.image_megapixels * 1_000_000:
        return (f"is {width} × {height} pixels, more than {limits.image_megapixels} megapixels: "
                "reduce its size")
    return ""


def image_source(resolver: Resolver, src: str, bases: tuple[Path, ...], limits: Limits) -> tuple[str | None, str, str]:
    """An image path as written -> (its project-relative path, "", "") if the build may show it,
    else (None, the problem's code, what to do)."""
    found = resolver.file(src, bases)
    if found.path is None:
        return None, "remote-image" if found.reason == "remote" else "missing-image", refusal(src, found.reason)
    problem = check_image(resolver.root / found.path, limits)
    return (None, "bad-image", f"image {src} {problem}") if problem else (found.path.as_posix(), "", "")


def check_image(path: Path, limits: Limits) -> str:
    stat = path.stat()
    return image_problem(path, limits, (stat.st_mtime_ns, stat.st_size))
