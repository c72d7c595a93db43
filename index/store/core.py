"""The store's file: opening it (schema checked, read-only where it cannot be written),
transactions, the meta table, and what a failure means (full disk, read-only, damage).

Every batch of articles is written in one transaction, so a crash or Ctrl-C leaves the store as it
was before the batch or with the batch complete. The file runs in WAL mode so readers (the app) keep
reading while a writer adds.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from pathlib import Path

from index.store.schema import SCHEMA, SCHEMA_VERSION


def statements(script: str) -> list[str]:
    """The statements of an SQL script (a trigger's body holds semicolons too)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip() + ";")
    return out


class StoreError(RuntimeError):
    """The store cannot be used; the message says what is wrong and what to run."""


class NotFound(KeyError):
    """No such article, feed or saved search (or an ambiguous prefix); the message says which.
    The command line's only "not found" (exit 1): any other KeyError is a bug."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"


class StoreUnwritable(StoreError):
    """The store is healthy but cannot be written here (read-only file, folder or mount)."""


class StoreFull(StoreError):
    """The disk holding the library is full."""


def failure_kind(exc: BaseException) -> str | None:
    """``"full"`` for a full disk, ``"unwritable"`` for a read-only file, folder or mount, as
    the operating system, SQLite or a store error says it; None for anything else. The one
    place the engine tells these apart (the store, the add path and the search index ask)."""
    import errno

    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return "full"
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return "unwritable"
        return None
    if isinstance(exc, StoreFull):
        return "full"
    if isinstance(exc, StoreUnwritable):
        return "unwritable"
    if isinstance(exc, sqlite3.DatabaseError):
        name = str(getattr(exc, "sqlite_errorname", "") or "")
        if name == "SQLITE_FULL" or "disk is full" in str(exc):
            return "full"
        if name.startswith("SQLITE_READONLY"):
            return "unwritable"
    return None


def diagnose(exc: BaseException, path: Path) -> StoreError:
    """What a SQLite error really means, as a StoreError of the right kind with one line:
    full, unwritable, busy and damaged are told apart, and only damage gets restore advice."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    kind = failure_kind(exc)
    if kind == "full" or "disk is full" in text:
        return StoreFull(f"no space left on the disk holding {path.parent}")
    if kind == "unwritable" or name.startswith(
        ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")
    ) or ("readonly" in text or "read-only" in text or "unable to open" in text):
        return StoreUnwritable(
            f"the library store {path} cannot be written here (read-only file, folder or disk)")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return StoreError(f"the library store {path} is busy ({text})")
    if name.startswith("SQLITE_IOERR"):
        return StoreError(f"the disk holding {path} reported an input/output error ({text})")
    return StoreError(
        f"the library store {path} is damaged ({text}); restore it from a backup or move it "
        "aside and add the articles again"
    )


def connect(path: Path) -> sqlite3.Connection:
    """Open the store at ``path``, schema checked. Opening an existing store writes nothing;
    a missing store is created (with its schema). A store that cannot be written here (a
    read-only file, folder or mount) is opened read-only."""
    try:
        conn = _open(path)
        version = _schema_version(conn)
    except sqlite3.DatabaseError as exc:
        raise diagnose(exc, path) from exc
    if version is not None and version > SCHEMA_VERSION:
        conn.close()
        raise StoreError(
            f"the library at {path.parent} was written by a newer version of reader "
            f"(store version {version}, this reader knows {SCHEMA_VERSION}); upgrade reader"
        )
    if (version is None or _missing_tables(conn)) and not is_readonly(conn):
        # A new store, or one made before a table was added: created once. A writer busy
        # with a batch must not make this open wait: then a later open creates them.
        conn.execute("PRAGMA busy_timeout=100" if version is not None else "PRAGMA busy_timeout=30000")
        try:
            with transaction(conn):
                for stmt in SCHEMA.split(";"):
                    if stmt.strip():
                        conn.execute(stmt)
                conn.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
        except sqlite3.DatabaseError as exc:
            if not (version is not None and "locked" in str(exc)):
                conn.close()
                raise diagnose(exc, path) from exc
        finally:
            conn.execute("PRAGMA busy_timeout=30000")
    return conn


def _open(path: Path) -> sqlite3.Connection:
    """A connection in WAL mode; read-only (``mode=ro``, else ``immutable``) where the file or
    its folder cannot be written."""
    writable = os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))
    if writable:
        try:
            conn = sqlite3.connect(path, timeout=30.0, isolation_level=None,
                                   check_same_thread=False)
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if mode != "wal":  # a new store (or an old one): switching is a write, once
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            # a replaced entity row (INSERT OR REPLACE) fires the entity counts' delete trigger
            conn.execute("PRAGMA recursive_triggers=ON")
            return conn
        except sqlite3.OperationalError as exc:
            if diagnose(exc, path).__class__ is not StoreUnwritable:
                # A full disk with no -wal/-shm left (the last writer cleaned them up): WAL
                # mode cannot make its 32 KB -shm file, so reading needs the file as it is,
                # complete without a WAL. (Writers are told the disk is full.)
                wal = Path(f"{path}-wal")
                if not (_disk_full(path) and (not wal.exists() or wal.stat().st_size == 0)):
                    raise
                factory: type[sqlite3.Connection] = _FullDiskConnection
            else:
                factory = _ReadOnlyConnection
    else:
        factory = _ReadOnlyConnection
    # Read-only: a read-only mount or folder may not allow the -shm file WAL readers need;
    # then the file is read as immutable (nothing can be writing it there).
    uri = path.resolve().as_uri()
    for q in ("?mode=ro", "?mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(uri + q, uri=True, timeout=30.0, isolation_level=None,
                                   check_same_thread=False, factory=factory)
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError:
            continue
    raise sqlite3.OperationalError("unable to open database file (read-only)")


class _ReadOnlyConnection(sqlite3.Connection):
    """A connection to a store opened read-only."""

    readonly = True


class _FullDiskConnection(_ReadOnlyConnection):
    """A store read as it is because its disk has no room for what WAL readers need."""

    full = True


def _disk_full(path: Path) -> bool:
    """Whether the disk holding ``path`` has (next to) no room left."""
    try:
        st = os.statvfs(path.parent)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 2**20


def is_full(conn: sqlite3.Connection) -> bool:
    """True for a store read as it is because its disk is full (see ``_open``)."""
    return bool(getattr(conn, "full", False))


def is_readonly(conn: sqlite3.Connection) -> bool:
    """True for a store opened read-only (see :func:`connect`)."""
    return bool(getattr(conn, "readonly", False))


def _missing_tables(conn: sqlite3.Connection) -> bool:
    """True when a table of the schema is missing (tables added since the store was made)."""
    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    want = set(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", SCHEMA))
    return not want <= have


def _schema_version(conn: sqlite3.Connection) -> int | None:
    row = conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name='meta'"
    ).fetchone()
    if row is None:
        return None
    got = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return int(got[0]) if got else None


class transaction:
    """``with transaction(conn):`` — BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception.

    SQLite rolls a transaction back by itself on some errors (a full disk): then there is
    nothing left to roll back, and the original error is what the caller sees."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        else:
            self._rollback()

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            with contextlib.suppress(sqlite3.DatabaseError):
                self.conn.execute("ROLLBACK")


def get_meta(conn: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    """Read one value from the meta table."""
    row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return row[0] if row else default


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Write one value to the meta table (inside the caller's transaction)."""
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))


def delete_meta(conn: sqlite3.Connection, key: str) -> None:
    """Remove one value from the meta table (inside the caller's transaction)."""
    conn.execute("DELETE FROM meta WHERE key=?", (key,))


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    """Whether the store has a table (added tables are absent from older libraries)."""
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)
    ).fetchone() is not None
