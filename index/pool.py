"""The worker pool of a big add or a reindex: forked processes running the pipeline
(``pipeline.prepare_units``, ``pipeline.reenrich``) on chunks of work, for the one writer.

The writer forks them while it holds the library's lock (``Library._write_lock`` makes each
drop its copy of the lock and die with the writer) and stops them when it is done or
interrupted.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from index.model import Article
from index.pipeline import Unit, prepare_units, reenrich

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

__all__ = ["Chunk", "Workers", "default_procs"]


def default_procs(procs: int | None) -> int:
    """How many worker processes: ``procs`` if given, else ``READER_PROCS``, else up to 2."""
    if procs is None:
        env = os.environ.get("READER_PROCS")
        procs = int(env) if env and env.isdigit() else min(2, os.cpu_count() or 1)
    return procs


def _worker_main(conn: Connection) -> None:
    """A worker process: chunks of units in, results out, until told to stop or orphaned.
    Ctrl-C is the writer's to handle (it stops the workers); a worker never prints."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with contextlib.suppress(OSError):
        os.nice(5)  # readers and the app come first on a busy machine
    try:
        while True:
            units = conn.recv()
            if units is None:
                return
            if isinstance(units, tuple):  # ("reenrich", stored articles): a reindex's
                conn.send(reenrich(units[1]))
            else:
                conn.send(prepare_units(units))
    except (EOFError, OSError, KeyboardInterrupt):
        return


Chunk = list[Unit] | tuple[str, list[Article]]  # what a worker is sent (see _worker_main)


class Workers:
    """Our own pool of forked workers feeding the one writer: each worker has its own pipe
    and one chunk at a time, results come back in input order, and stopping is a SIGKILL to
    each (no shared queue or lock that a dying worker could leave held, so no hang)."""

    def __init__(self, procs: int, ahead: int = 3) -> None:
        import multiprocessing as mp

        self.ahead = max(1, ahead)  # chunks a worker may run ahead of the writer
        ctx = mp.get_context("fork")
        self.procs: list = []
        self.conns: list = []
        self._threads: list[threading.Thread] = []
        for _ in range(procs):
            parent, child = ctx.Pipe(duplex=True)
            p = ctx.Process(target=_worker_main, args=(child,), daemon=True)
            p.start()
            child.close()
            self.procs.append(p)
            self.conns.append(parent)

    def run(self, chunks: Iterator[Chunk]) -> Iterator[tuple[list, dict[str, int]]]:
        """Results of each chunk, in order. A thread per worker sends it a chunk and takes its
        result back at once, so workers never wait for the writer; at most ``ahead`` chunks per
        worker run ahead of what the writer has taken. A chunk is units to add (results:
        ``prepare_units``'s) or ``("reenrich", stored articles)`` (``reenrich``'s)."""
        results: dict[int, tuple[list, dict[str, int]]] = {}
        cond = threading.Condition()
        take = threading.Lock()
        ahead = threading.Semaphore(self.ahead * len(self.conns))
        st = {"taken": 0, "live": len(self.conns), "end": False}
        errors: list[BaseException] = []
        self._ahead = ahead
        self._state = st

        def pump(conn: Connection) -> None:
            try:
                while True:
                    ahead.acquire()
                    with take:
                        chunk = None if st["end"] else next(chunks, None)
                        if chunk is None:
                            st["end"] = True
                            return
                        k = st["taken"]
                        st["taken"] += 1
                    conn.send(chunk)
                    result = conn.recv()
                    with cond:
                        results[k] = result
                        cond.notify_all()
            except BaseException as exc:  # a dead worker, or an input that cannot be read
                with cond:
                    errors.append(exc)
                    st["end"] = True
                    cond.notify_all()
            finally:
                with cond:
                    st["live"] -= 1
                    cond.notify_all()

        self._threads = [threading.Thread(target=pump, args=(c,), daemon=True,
                                          name="reader-worker-pump") for c in self.conns]
        for t in self._threads:
            t.start()
        nxt = 0
        while True:
            with cond:
                while nxt not in results and not errors and (st["live"] or nxt < st["taken"]):
                    cond.wait()
                if nxt in results:
                    result = results.pop(nxt)
                elif errors:
                    exc = errors[0]
                    if isinstance(exc, (EOFError, ConnectionError)):
                        raise RuntimeError("a worker process died") from exc
                    raise exc
                else:
                    return
            ahead.release()
            yield result
            nxt += 1

    def stop(self) -> None:
        """Kill every worker and reap it (at once: nothing a worker holds is worth waiting);
        their pump threads then end."""
        for p in self.procs:
            with contextlib.suppress(Exception):
                p.kill()
        state = getattr(self, "_state", None)
        if state is not None:
            state["end"] = True
        ahead = getattr(self, "_ahead", None)
        if ahead is not None:
            for _ in range(len(self.conns) * 4):
                ahead.release()
        for p in self.procs:
            with contextlib.suppress(Exception):
                p.join(timeout=2)
        for c in self.conns:
            with contextlib.suppress(Exception):
                c.close()
