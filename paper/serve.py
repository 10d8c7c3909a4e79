"""`paper serve`: the website edition on 127.0.0.1, rebuilt when a file of the paper is saved.

After a save, the chapter pages are rebuilt first (a preview build: the single-page paper and
the search index stay as they were) and the open page reloads; once nothing has been saved for
a moment, the full website (and the PDF with --pdf) follows.

Each page gets a small script (served from the server itself, as the pages' security policy
allows no inline scripts) that asks the server every second whether the paper was
rebuilt (then it reloads) or whether the last build failed (then it shows the problems on
top of the last good page, which stays readable).
"""

from __future__ import annotations

import functools
import html
import json
import logging
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import watchfiles

from .errors import UserError
from .pipeline import BuildOptions, build

log = logging.getLogger(__name__)
STATE_PATH = "/__paper/state"
SCRIPT_PATH = "/__paper/reload.js"
RELOAD_SCRIPT = f'<script src="{SCRIPT_PATH}"></script>'
STEP = 20
"""Milliseconds without a further change after which a save is taken as done (an editor may
write a file in more than one go)."""
QUIET = 1500
"""Milliseconds without a save after which the full website follows a preview."""
RELOAD_JS = """
(function () {
  var seen = null;
  function show(problems) {
    var box = document.getElementById("paper-build-problems");
    if (!problems) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("pre");
      box.id = "paper-build-problems";
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;max-height:50%;overflow:auto;" +
        "margin:0;padding:1em;background:#fff4f2;color:#7a1c12;border-top:3px solid #b3261e;" +
        "font:14px/1.4 monospace;white-space:pre-wrap;z-index:9999";
      document.body.appendChild(box);
    }
    box.textContent = "The last change could not be built:\\n\\n" + problems;
  }
  function poll() {
    fetch("__STATE__", {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (s) {
      if (seen !== null && s.version !== seen) { location.reload(); return; }
      seen = s.version;
      show(s.problems);
    }).catch(function () {}).finally(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
""".replace("__STATE__", STATE_PATH)


class Preview:
    """The state the pages poll: a version number that grows with each good build, and the
    problems of the last build if it failed."""

    def __init__(self, root: Path, with_pdf: bool):
        self.root = root.resolve()
        self.out = self.root / "output"
        self.with_pdf = with_pdf
        self.version = 0
        self.problems = ""
        self.lock = threading.Lock()

    def rebuild(self, preview: bool = False) -> None:
        """Build the website edition (only its chapter pages with `preview`); whatever goes
        wrong is shown in the page, and the watcher goes on."""
        try:
            build(self.root, self.out, BuildOptions(formats=("html",), preview=preview))
        except UserError as exc:
            self.failed("\n".join(str(d) for d in exc.diagnostics if d.level == "error"))
            return
        except Exception as exc:  # a bug in this tool: said in the page, the preview goes on
            log.exception("the build failed unexpectedly")
            self.failed(f"the build failed unexpectedly ({type(exc).__name__}: {exc}); this is a bug "
                        "in the tool: please report it with the chapter that caused it")
            return
        with self.lock:
            # the full build after a preview changes only the single page and the search index:
            # no reload for that
            self.version += 1 if preview or self.version == 0 or self.problems else 0
            self.problems = ""
        log.info("rebuilt the website edition%s (version %d)", " for the preview" if preview else "", self.version)
        if self.with_pdf and not preview:
            threading.Thread(target=self.rebuild_pdf, daemon=True).start()

    def failed(self, problems: str) -> None:
        with self.lock:
            self.problems = problems
        log.warning("build failed:\n%s", problems)

    def rebuild_pdf(self) -> None:
        try:
            build(self.root, self.out, BuildOptions(formats=("pdf",)))
            log.info("rebuilt the PDF")
        except UserError:
            pass  # the website edition already shows the problems
        except Exception:
            log.exception("the PDF could not be rebuilt")

    def state(self) -> bytes:
        with self.lock:
            return json.dumps({"version": self.version, "problems": self.problems}).encode()


class Handler(SimpleHTTPRequestHandler):
    """Serves output/ (the website is under /html/), adding the reload script to each page."""

    def __init__(self, *args, preview: Preview, **kwargs):
        self.preview = preview
        super().__init__(*args, directory=str(preview.out), **kwargs)

    def do_GET(self) -> None:
        if self.path == STATE_PATH:
            return self.send_bytes(self.preview.state(), "application/json")
        if self.path == SCRIPT_PATH:
            return self.send_bytes(RELOAD_JS.encode(), "text/javascript")
        if self.path in ("/", "/index.html"):
            self.send_response(302)
            self.send_header("Location", "/html/index.html")
            self.end_headers()
            return None
        path = Path(self.translate_path(self.path))
        if path.suffix == ".html" and path.is_file():
            page = path.read_text(encoding="utf-8").replace("</body>", RELOAD_SCRIPT + "</body>", 1)
            return self.send_bytes(page.encode("utf-8"), "text/html; charset=utf-8")
        if not path.exists() and self.preview.problems:
            message = f"<pre>{html.escape(self.preview.problems)}</pre>{RELOAD_SCRIPT}"
            return self.send_bytes(f"<!DOCTYPE html><body>{message}</body>".encode(), "text/html")
        return super().do_GET()

    def send_bytes(self, data: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:
        log.debug("%s %s", self.address_string(), format % args)


def watched(change: watchfiles.Change, path: str, root: Path) -> bool:
    """Sources only: never the output folder, hidden folders, editors' backup files, or a path
    that leads out of the project (a symbolic link to elsewhere)."""
    try:
        relative = Path(path).relative_to(root)
        outside = not Path(path).resolve().is_relative_to(root)
    except (ValueError, OSError, RuntimeError):
        return False
    return not (outside or not relative.parts or relative.parts[0] == "output"
                or any(p.startswith(".") for p in relative.parts) or path.endswith(("~", ".swp", ".tmp")))


def serve(root: Path, port: int, with_pdf: bool) -> int:
    preview = Preview(root, with_pdf)
    preview.rebuild()
    server = ThreadingHTTPServer(("127.0.0.1", port),
                                 functools.partial(Handler, preview=preview))
    stop = threading.Event()

    def watch() -> None:
        pending = False  # a preview was built; the full website is still to follow
        while not stop.is_set():
            try:
                for changes in watchfiles.watch(preview.root, stop_event=stop, debounce=300, step=STEP,
                                                rust_timeout=QUIET,
                                                yield_on_timeout=True,
                                                watch_filter=lambda c, p: watched(c, p, preview.root)):
                    if changes:
                        preview.rebuild(preview=True)
                        pending = True
                    elif pending:
                        preview.rebuild()
                        pending = False
            except Exception:  # the watcher itself failed (a folder vanished): start it again
                log.exception("watching the project failed; watching again")
                stop.wait(1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    print(f"serving the paper at http://127.0.0.1:{server.server_address[1]}/ "
          "(it is rebuilt when you save; Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
    return 0
