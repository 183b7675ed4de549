"""The service reads a generation through the index contract and loads none of the builder."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

# Of the indexer, the service may load the analyzers it shares with the index, the contract,
# the index directory's layout, how a generation's index is opened (read in place) and its
# common terms' arrays (``indexer.term_arrays``), the log format, and what the pickled
# schema names (the posting formats, and the writer-process hooks they call when writing,
# inert when reading).
SHARED_WITH_THE_SERVICE = {
    "indexer", "indexer.analysis", "indexer.contract", "indexer.formats",
    "indexer.generations", "indexer.lexicon", "indexer.logs", "indexer.mapped",
    "indexer.term_arrays", "indexer.writer_processes",
}

SERVE_AND_LIST_MODULES = textwrap.dedent(
    """
    import json, sys
    from falcon import testing
    from searchsvc.app import create_app
    from searchsvc.settings import Settings

    loaded = {m for m in sys.modules if m.split(".")[0] == "indexer"}
    client = testing.TestClient(create_app(Settings(index_dir=sys.argv[1])))
    for path, params in [("/search", {"q": "omaishoidon tuki"}), ("/search", {"q": "procuremnt"}),
                         ("/suggest", {"q": "kokouksen lai"}), ("/facets", None),
                         ("/documents/xss-1", None), ("/analyze", {"lang": "fi", "text": "x"}),
                         ("/feed", {"q": "tuki"})]:
        assert client.simulate_get(path, params=params).status_code == 200, path
    print(json.dumps({"imported": sorted(loaded),
                      "serving": sorted(m for m in sys.modules if m.split(".")[0] == "indexer")}))
    """
)


def test_the_service_loads_no_builder_module(small_index: Path, root: Path) -> None:
    done = subprocess.run([sys.executable, "-c", SERVE_AND_LIST_MODULES, str(small_index)],
                          cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    modules = json.loads(done.stdout)
    assert not {"indexer.build", "indexer.readers"} & set(modules["serving"])
    assert set(modules["imported"]) <= SHARED_WITH_THE_SERVICE
    assert set(modules["serving"]) <= SHARED_WITH_THE_SERVICE
