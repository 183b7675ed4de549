"""What gunicorn's master loads before it forks its workers, so that they share it.

The Finnish and Swedish lemma dictionaries (simplemma's: about 4.5 million forms, ~420 MB
of Python objects) are the largest data a worker holds, and the same in every worker. Each
worker used to load its own copy on its first query. Loaded once in the master, a forked
worker shares their pages copy-on-write: a lookup hashes and compares keys without writing
to them and only touches the reference count of the lemma it returns, so nearly every page
stays shared (a page shared by n processes counts 1/n in each one's PSS). ``gc.freeze``
moves what the master holds out of the collector's reach, so no collection in a worker
writes to it.

The index is not loaded here: each worker opens its generation itself (``preload_app`` is
off in ``gunicorn.conf.py``), since open index files are not shared across a fork.
"""

from __future__ import annotations

import gc

from indexer.lexicon import LEMMA_LANGUAGES, lexicon


def load_before_fork() -> None:
    """Load the lemma dictionaries into this process and freeze what it holds."""
    for language in sorted(LEMMA_LANGUAGES):
        lexicon(language)
    gc.collect()
    gc.freeze()
