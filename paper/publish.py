"""Publishing a build all at once. Each build's files go into a new generation folder
(output/.generations/N/); one atomic rename of the link output/current then publishes the whole
of it. Every file keeps a stable path: output/<name> is a link to current/<name>, so
output/governance-citizen-security.pdf and output/html/ always belong to the same build, and a
build that fails or is killed leaves the previous one published as it was.

The files of the previous generation that this build did not make (the EPUB when only the
PDF was asked for) are carried over as hard links, which cost no space."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

GENERATIONS = ".generations"
CURRENT = "current"


def current(out: Path) -> Path | None:
    """The generation folder now published, if any."""
    link = out / CURRENT
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


def publish(made: list[Path], out: Path) -> list[Path]:
    """Move the files and folders in `made` into a new generation, with what the published
    one has besides, and publish it; return their stable paths (output/<name>)."""
    folder = out / GENERATIONS
    folder.mkdir(exist_ok=True)
    numbers = [int(p.name) for p in folder.iterdir() if p.name.isdigit()]
    generation = folder / str(max(numbers, default=0) + 1)
    names = {path.name for path in made}
    previous = current(out)
    generation.mkdir()
    if previous is not None:
        for old in previous.iterdir():
            if old.name not in names:
                carry(old, generation / old.name)
    for path in made:
        os.replace(path, generation / path.name)
    switch(out, generation)
    stable_links(out)
    for old in folder.iterdir():  # the one before stays, for a reader who has a file open
        if old != generation and (previous is None or old != previous):
            shutil.rmtree(old, ignore_errors=True)
    return [out / path.name for path in made]


def carry(source: Path, target: Path) -> None:
    """A hard-linked copy of a file or folder (a plain copy where links are not possible)."""
    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    if source.is_dir():
        shutil.copytree(source, target, copy_function=link, symlinks=False)
    else:
        link(str(source), str(target))


def switch(out: Path, generation: Path) -> None:
    """Point output/current at `generation` in one atomic step."""
    temporary = out / f".{CURRENT}-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(Path(GENERATIONS) / generation.name)
    os.replace(temporary, out / CURRENT)


def stable_links(out: Path) -> None:
    """output/<name> -> current/<name> for every file of the published generation; links that
    lead nowhere any more are removed, and files of older versions of the tool replaced."""
    published = out / CURRENT
    for entry in sorted(published.iterdir()):
        link = out / entry.name
        wanted = Path(CURRENT) / entry.name
        if link.is_symlink() and Path(os.readlink(link)) == wanted:
            continue
        temporary = out / f".link-{os.getpid()}-{entry.name}"
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(wanted)
        if link.is_dir() and not link.is_symlink():
            old = out / f".old-{os.getpid()}-{entry.name}"
            os.replace(link, old)
            shutil.rmtree(old, ignore_errors=True)
        os.replace(temporary, link)
    for link in out.iterdir():
        if link.is_symlink() and link.name != CURRENT and not link.exists():
            link.unlink()


def digest(path: Path) -> str:
    """A fingerprint of a published file or folder, for the cache to know it was not changed."""
    hashed = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        hashed.update(str(file.relative_to(path.parent)).encode() + b"\0")
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                hashed.update(block)
    return hashed.hexdigest()
