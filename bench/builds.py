"""Benchmark: how long building a paper takes, at three sizes, against plain pandoc + WeasyPrint.

Run from the repository:  python bench/builds.py [chapters ...]   (default: 5 21 60)

For each size it generates a synthetic paper (bench/synthetic.py: about 8 PDF pages a
chapter) and prints: the cold build of all formats and the time of each format, a rebuild
with nothing changed, a rebuild after editing one chapter, the time from saving another edit to `paper serve`
serving the edited page, the peak memory of the build,
and the same chapters made into a PDF by `pandoc --citeproc --pdf-engine=weasyprint` with
the ratio; then, with another program keeping one processor busy, cold builds with the PDF
laid out in pieces and in one process. Every build runs in a process of its own, so memory
is measured per build (all its processes together).
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from synthetic import generate  # noqa: E402

RUNNER = """
import logging, sys
from pathlib import Path
logging.basicConfig(level=logging.INFO, format="%(message)s")
for name in ("weasyprint", "fontTools", "PIL", "pikepdf"):
    logging.getLogger(name).setLevel(logging.ERROR)
from paper.pipeline import BuildOptions, build
fresh = len(sys.argv) > 2  # a cold build in the given layout, neither using nor changing the cache
build(Path(sys.argv[1]), None, BuildOptions(cache=False, pdf_layout=sys.argv[2]) if fresh else BuildOptions())
"""
HOG = "while True: pass"
"""Something else keeping one processor busy, as on a shared CI runner or a laptop in use."""
DONE = re.compile(r"^(?:[\w-]+: )?(pdf|epub|cite|html): done in ([\d.]+) s", re.M)


def measured(command: list[str], **kwargs) -> tuple[float, float, str]:
    """(seconds, peak memory in MB, stderr) of one command in a process of its own. The memory
    is the largest sum, sampled every 50 ms, of the resident sizes of the command and every
    process it started (the build lays out the PDF in several)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **kwargs)
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], tree_memory(process.pid))

    sampler = threading.Thread(target=sample)
    sampler.start()
    stderr = process.stderr.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr}")
    return seconds, max(peak[0], usage.ru_maxrss * 1024) / 2**20, stderr


def tree_memory(root: int) -> int:
    """Bytes resident in process `root` and its descendants, from /proc (Linux); see
    proportional_memory."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    tree, grew = {root}, True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= found
        grew = bool(found)
    total = 0
    for pid in tree:
        total += proportional_memory(pid)
    return total


def proportional_memory(pid: int) -> int:
    """Bytes resident in process `pid`, pages shared with other processes counted in shares
    (Pss): a process caught between fork and exec shares its parent's pages, and counting
    them twice once showed a build 330 MB larger than it was."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def build(folder: Path, *fresh: str) -> tuple[float, float, dict[str, float]]:
    seconds, memory, log = measured([sys.executable, "-c", RUNNER, str(folder), *fresh], cwd=REPO)
    return seconds, memory, {name: float(value) for name, value in DONE.findall(log)}


def busy(folder: Path) -> dict[str, float]:
    """Cold builds of all formats while another process keeps one processor busy: the PDF laid
    out in pieces, and in one process."""
    hog = subprocess.Popen([sys.executable, "-c", HOG])
    try:
        time.sleep(0.5)
        return {layout: build(folder, layout)[0] for layout in ("pieces", "whole")}
    finally:
        hog.kill()
        hog.wait()


def serve_latency(folder: Path, chapter: Path) -> float:
    """Seconds from saving an edit to a chapter to `paper serve` serving its page with the edit
    (an open page then reloads at its next poll, within a second)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    page = f"http://127.0.0.1:{port}/html/{chapter.stem.split('-', 1)[1]}.html"
    server = subprocess.Popen([str(Path(sys.executable).parent / "paper"), "serve", "--project", str(folder),
                               "--port", str(port), "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        served(page, "", 600)
        marker = f"Edited for the preview at {time.time_ns()}."
        chapter.write_text(chapter.read_text() + f"\n{marker}\n")
        start = time.perf_counter()
        served(page, marker, 600)
        return time.perf_counter() - start
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # SIGINT is ignored when the bench itself runs in the background
            server.terminate()
            server.wait(timeout=30)


def served(url: str, text: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if text in response.read().decode("utf-8"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"{url} never showed {text!r}")


def baseline(folder: Path) -> tuple[float, float]:
    import pypandoc

    chapters = sorted(str(p.relative_to(folder)) for p in (folder / "chapters").glob("*.md"))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    seconds, memory, _log = measured(
        [pypandoc.get_pandoc_path(), *chapters, "--citeproc", "--bibliography=references.bib",
         "--resource-path=chapters:.", "--pdf-engine=weasyprint", "-o", "baseline.pdf"], cwd=folder, env=env)
    return seconds, memory


def pages(pdf: Path) -> int:
    import pypdf

    return len(pypdf.PdfReader(pdf).pages)


def run(chapters: int, scratch: Path) -> dict[str, object]:
    folder = generate(chapters, scratch / f"paper-{chapters}")
    cold, memory, formats = build(folder)
    noop, _m, _f = build(folder)
    middle = sorted((folder / "chapters").glob("*.md"))[chapters // 2]
    middle.write_text(middle.read_text() + "\nOne more sentence, added by the benchmark.\n")
    edited, _m, _f = build(folder)
    preview = serve_latency(folder, middle)
    base, base_memory = baseline(folder)
    loaded = busy(folder) if (os.cpu_count() or 1) > 1 else {}
    return {"chapters": chapters, "pages": pages(folder / "output" / "synthetic.pdf"), "cold": cold,
            "formats": formats, "noop": noop, "edited": edited, "preview": preview, "memory": memory,
            "baseline": base, "baseline_memory": base_memory, "busy": loaded}


def main(sizes: list[int]) -> None:
    import pypandoc
    import weasyprint

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"pandoc {pypandoc.get_pandoc_version()}, WeasyPrint {weasyprint.__version__}, "
          f"{time.strftime('%Y-%m-%d')}")
    header = ("| chapters | PDF pages | cold build, all formats | PDF | EPUB | HTML | cite | no-op rebuild "
              "| one chapter edited | preview in paper serve after an edit | peak memory "
              "| pandoc + WeasyPrint, PDF only | cold / baseline | edited / baseline | preview / baseline |")
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    loaded = []
    with tempfile.TemporaryDirectory(prefix="paper-bench-") as scratch:
        for chapters in sizes:
            r = run(chapters, Path(scratch))
            loaded.append((r["chapters"], r["pages"], r["busy"]))
            f = r["formats"]
            print(f"| {r['chapters']} | {r['pages']} | {r['cold']:.1f} s | {f.get('pdf', 0):.1f} s "
                  f"| {f.get('epub', 0):.1f} s | {f.get('html', 0):.1f} s | {f.get('cite', 0):.1f} s "
                  f"| {r['noop']:.2f} s | {r['edited']:.1f} s | {r['preview']:.1f} s | {r['memory']:.0f} MB "
                  f"| {r['baseline']:.1f} s ({r['baseline_memory']:.0f} MB) | {r['cold'] / r['baseline']:.2f} "
                  f"| {r['edited'] / r['baseline']:.2f} | {r['preview'] / r['baseline']:.3f} |", flush=True)
            shutil.rmtree(Path(scratch) / f"paper-{chapters}", ignore_errors=True)
    if any(b for _c, _p, b in loaded):
        print("\nWith one processor kept busy by another program, cold builds of all formats:\n")
        print("| chapters | PDF pages | PDF in pieces | PDF in one process | pieces / one process |")
        print("|---|---|---|---|---|")
        for chapters, count, b in loaded:
            print(f"| {chapters} | {count} | {b['pieces']:.1f} s | {b['whole']:.1f} s "
                  f"| {b['pieces'] / b['whole']:.2f} |")


if __name__ == "__main__":
    main([int(n) for n in sys.argv[1:]] or [5, 21, 60])
