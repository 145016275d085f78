"""The index of words: BM25 over SQLite's FTS5 (a derived index, see :mod:`.._base`).

Why FTS5 (SQLite's full-text engine, in Python's standard library): a query reads the posting
lists of its words instead of every text under the namespace prefix, so its cost follows the
matches, not the number of memories; it ranks with BM25 (the same words the store ranked with
before: lower-cased, English stop words dropped, Snowball-stemmed with PyStemmer, so the index
holds exactly the tokens the previous in-memory BM25 used); and a SQLite file in WAL mode is safe
when several processes share the data folder, as local mode's processes do (writers wait up to
``busy_timeout_ms`` for each other). Measurements: ``benchmarks/search_scale.py`` and
``docs/retrieval.md``.

Layout (one SQLite file, or ``:memory:`` for tests):

* ``entries(rid INTEGER PRIMARY KEY, id TEXT UNIQUE, item_id, path, hash, exp)``: one row per
  index entry, with its content hash and its item's expiry (epoch ms);
* ``words`` (FTS5, ``rowid = entries.rid``): ``scope``, one token per ancestor namespace
  prefix of the item (a hash of the encoded prefix), and ``body``, the entry's processed tokens.

A query under a prefix is ``scope:<prefix token> AND (body:w1 OR body:w2 ...)``, ranked by
``bm25()`` with the scope column weighted 0; scores are ``-bm25`` (higher is better).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langgraph_genesis_memory.index._base import IndexEntry, IndexHit
from langgraph_genesis_memory.index._lexical import english_stemmer, english_stopwords, tokenize

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS entries (
        rid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        item_id TEXT NOT NULL,
        path TEXT NOT NULL,
        hash TEXT NOT NULL,
        exp INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS entries_item ON entries(item_id)",
    "CREATE INDEX IF NOT EXISTS entries_exp ON entries(exp)",
    """CREATE VIRTUAL TABLE IF NOT EXISTS words USING fts5(
        scope, body, tokenize = "unicode61 remove_diacritics 0 tokenchars '_'"
    )""",
]
_CHUNK = 500  # SQL variables per statement


def scope_token(encoded_prefix: str) -> str:
    """The FTS5 token standing for one namespace prefix (a hash: any label is safe)."""
    return "s" + hashlib.blake2b(encoded_prefix.encode("utf-8"), digest_size=10).hexdigest()


def _scope_tokens(namespace: Sequence[str]) -> str:
    # Labels cannot contain "." (LangGraph), so joining with it is unambiguous.
    return " ".join(scope_token(".".join(namespace[:d])) for d in range(1, len(namespace) + 1))


class SqliteWordIndex:
    """The index of words in a SQLite FTS5 file (a sync :class:`DerivedIndex` ranking by BM25).

    Safe to share between threads (one connection behind a lock) and between processes (WAL
    journal, ``busy_timeout``). The constructor opens (and creates) the file.

    Args:
        path: The SQLite file, or ``":memory:"`` for an in-process index (tests).
        busy_timeout_ms: How long a writer waits for another process's write to finish.

    Raises:
        sqlite3.Error: If the file cannot be opened or SQLite lacks FTS5.

    Example:
        >>> from langgraph_genesis_memory.index import IndexEntry, SqliteWordIndex
        >>> words = SqliteWordIndex(":memory:")
        >>> words.upsert([IndexEntry("a#$", "a", ("agent",), "a", "$", "h", 2**62,
        ...                          text="green tea every morning")])
        >>> [h.item_id for h in words.query("tea", 5, ("agent",))[0]]
        ['a']
    """

    def __init__(
        self, path: str | os.PathLike[str] = ":memory:", *, busy_timeout_ms: int = 10_000
    ) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
        with self._write() as conn:
            for statement in _SCHEMA:
                conn.execute(statement)
        self._stem: Callable[[str], str] = english_stemmer()
        self._stopwords = english_stopwords()

    def close(self) -> None:
        """Close the SQLite connection."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._conn.execute(sql, tuple(args)).fetchall()

    def tokens(self, text: str) -> list[str]:
        """The tokens indexed for ``text``: lower-cased words of 2+ characters, English stop
        words dropped, Snowball-stemmed (as the store's BM25 always ranked)."""
        return tokenize(text, stopwords=self._stopwords, stemmer=self._stem)

    # -- DerivedIndex --------------------------------------------------------------------------
    def upsert(self, entries: Sequence[IndexEntry]) -> None:
        """Insert or replace entries (their ``text``), in one transaction.

        Raises:
            ValueError: If an entry has no text.
        """
        if any(e.text is None for e in entries):
            raise ValueError("a word index entry needs text")
        rows = [
            (
                e.id,
                e.item_id,
                e.path,
                e.hash,
                int(e.expires_ms),
                _scope_tokens(e.namespace),
                " ".join(self.tokens(e.text or "")),
            )  # fmt: skip
            for e in entries
        ]
        with self._write() as conn:
            for eid, item, path, digest, exp, scope, body in rows:
                (rid,) = conn.execute(
                    "INSERT INTO entries(id, item_id, path, hash, exp) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET item_id = excluded.item_id, "
                    "path = excluded.path, hash = excluded.hash, exp = excluded.exp "
                    "RETURNING rid",
                    (eid, item, path, digest, exp),
                ).fetchone()
                conn.execute("DELETE FROM words WHERE rowid = ?", (rid,))
                conn.execute(
                    "INSERT INTO words(rowid, scope, body) VALUES (?, ?, ?)", (rid, scope, body)
                )

    def delete(self, ids: Sequence[str] = (), item_ids: Sequence[str] = ()) -> None:
        """Delete entries by id and every entry of ``item_ids`` (unknown ids are ignored)."""
        with self._write() as conn:
            for column, values in (("id", list(ids)), ("item_id", list(item_ids))):
                for start in range(0, len(values), _CHUNK):
                    chunk = values[start : start + _CHUNK]
                    marks = ",".join("?" * len(chunk))
                    rids = [r for (r,) in conn.execute(
                        f"SELECT rid FROM entries WHERE {column} IN ({marks})", chunk
                    )]  # fmt: skip
                    for r in range(0, len(rids), _CHUNK):
                        part = rids[r : r + _CHUNK]
                        marks = ",".join("?" * len(part))
                        conn.execute(f"DELETE FROM words WHERE rowid IN ({marks})", part)
                        conn.execute(f"DELETE FROM entries WHERE rid IN ({marks})", part)

    def query(
        self,
        query: Sequence[float] | str,
        n: int,
        namespace_prefix: Sequence[str] = (),
        *,
        id_prefix: str = "",
    ) -> tuple[list[IndexHit], bool]:
        """The ``n`` entries ranking best by BM25 for the words of ``query`` under a prefix.

        Only entries sharing at least one word (after stemming and stop words) are returned.

        Args:
            query: The query text.
            n: Entries wanted (at least 1).
            namespace_prefix: Only entries whose namespace starts with these labels.
            id_prefix: Ignored: the prefix is matched on the scope tokens of the full-text
                index (see ``DerivedIndex.query``).

        Returns:
            ``(hits, exhausted)``: best first (ties by entry id); ``exhausted`` when no further
            entry matches.

        Raises:
            TypeError: If ``query`` is a vector (this index ranks words only).
        """
        if not isinstance(query, str):
            raise TypeError("the word index is queried with text, not a vector")
        terms = list(dict.fromkeys(self.tokens(query)))
        if not terms:
            return [], True
        words = " OR ".join(f'body:"{t}"' for t in terms)
        match = f"({words})"
        if namespace_prefix:
            match = f'scope:"{scope_token(".".join(namespace_prefix))}" AND {match}'
        n = max(1, int(n))
        rows = self._read(
            "SELECT e.id, e.item_id, e.path, -bm25(words, 0.0, 1.0) AS score "
            "FROM words JOIN entries e ON e.rid = words.rowid "
            "WHERE words MATCH ? ORDER BY bm25(words, 0.0, 1.0), e.id LIMIT ?",
            (match, n + 1),
        )
        hits = [IndexHit(item, eid, float(score), path) for eid, item, path, score in rows[:n]]
        return hits, len(rows) <= n

    def hashes(self) -> dict[str, str]:
        """Every entry: ``{entry_id: content hash}``."""
        return {eid: digest for eid, digest in self._read("SELECT id, hash FROM entries")}

    def expired(self, now_ms: int) -> dict[str, str]:
        """Entries whose recorded expiry is at or before ``now_ms``: ``{entry_id: item_id}``."""
        rows = self._read("SELECT id, item_id FROM entries WHERE exp <= ?", (int(now_ms),))
        return {eid: item for eid, item in rows}

    def set_expiry(self, ids: Sequence[str], expires_ms: Sequence[int]) -> None:
        """Record new expiries (epoch ms) on entries.

        Raises:
            ValueError: If ``ids`` and ``expires_ms`` differ in length.
        """
        if len(ids) != len(expires_ms):
            raise ValueError("one expiry per id")
        with self._write() as conn:
            conn.executemany(
                "UPDATE entries SET exp = ? WHERE id = ?",
                [(int(e), i) for i, e in zip(ids, expires_ms, strict=True)],
            )

    def reset(self) -> None:
        """Drop every entry."""
        with self._write() as conn:
            conn.execute("DELETE FROM words")
            conn.execute("DELETE FROM entries")

    def reopen(self) -> None:
        """Nothing to reopen: the file is shared through SQLite itself."""

    def count(self) -> int:
        """Number of entries."""
        return int(self._read("SELECT count(*) FROM entries")[0][0])
