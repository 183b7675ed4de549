"""The widget: what a host page loads for it, and the time from the last keystroke to results.

    python -m benchmarks.bench_widget [--index-dir DIR] [--rounds N] [--size-only]

- Size: ``/widget.js`` is all a host page loads for ``<records-search>`` (one module; its
  styles are inside it). Printed raw and gzipped (level 6, what a proxy typically uses, and 9);
  ``tests/test_widget_assets.py`` holds the gzipped size to 20 KB.
- Time: real gunicorn (2 workers) over the shipped corpus (``corpus/``, built into a
  temporary directory unless ``--index-dir`` names a built one), the service's page ``/`` in
  headless Debian chromium (``make browser``), each query typed a key at a time (80 ms apart,
  like a quick typist); measured from the last key's ``keydown`` to the last change of the
  results list. It includes the widget's 250 ms debounce, the request over loopback and the
  rendering. Printed per query and as the median.
"""

from __future__ import annotations

import argparse
import gzip
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from searchsvc import assets

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ["omaishoito", "tarkastuslautakunta", "kotihoidon maksu", "anhörigstöd", "tillsyn",
           "housing benefit", "social care", "päätös valtuusto"]
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]

# Records, in the page, the last keydown and the last change of any results list.
TIMING_SCRIPT = """
window.__keydown = 0; window.__rendered = 0;
document.addEventListener('keydown', () => { window.__keydown = performance.now(); }, true);
customElements.whenDefined('records-search').then(() => {
  const box = document.querySelector('records-search');
  new MutationObserver(() => { window.__rendered = performance.now(); })
    .observe(box.shadowRoot.querySelector('ol'), {childList: true, subtree: true});
});
"""


def sizes() -> None:
    body = assets.load("widget.js").body
    print("what a host page loads for the widget: /widget.js")
    print(f"  raw {len(body):,} B, gzip -6 {len(gzip.compress(body, 6)):,} B, "
          f"gzip -9 {len(gzip.compress(body, 9)):,} B (budget 20,480 B gzipped)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def keystroke_to_results(index_dir: Path, rounds: int) -> None:
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = {**os.environ, "SEARCHSVC_INDEX_DIR": str(index_dir), "SEARCHSVC_WORKERS": "2",
           "SEARCHSVC_LOG_LEVEL": "warning"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind",
         f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/health/ready", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.2)
        timings: dict[str, list[float]] = {q: [] for q in QUERIES}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=CHROMIUM_FLAGS)
            page = browser.new_page()
            page.add_init_script(TIMING_SCRIPT)
            page.goto(base + "/?ui=fi")
            box = page.locator("records-search input[role=combobox]")
            box.wait_for()
            for _ in range(rounds):
                for q in QUERIES:
                    box.fill("")
                    page.wait_for_timeout(400)
                    box.press_sequentially(q, delay=80)
                    page.wait_for_timeout(1500)  # well past the debounce and the answer
                    keydown, rendered = page.evaluate("[window.__keydown, window.__rendered]")
                    timings[q].append(rendered - keydown)
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    print(f"last keystroke to rendered results, chromium, shipped corpus ({rounds} rounds; "
          "includes the 250 ms debounce):")
    for q, values in timings.items():
        print(f"  {q!r:28} median {statistics.median(values):6.0f} ms")
    every = [value for values in timings.values() for value in values]
    print(f"  all queries: median {statistics.median(every):.0f} ms, max {max(every):.0f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, help="a built index of corpus/")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size-only", action="store_true")
    args = parser.parse_args(argv)
    sizes()
    if args.size_only:
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-widget-") as workdir:
        index_dir = args.index_dir
        if index_dir is None:
            from indexer.build import rebuild

            index_dir = Path(workdir) / "index"
            print(f"building the index of {ROOT / 'corpus'} ...", flush=True)
            rebuild([ROOT / "corpus"], index_dir, jobs=2)
        keystroke_to_results(index_dir, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
