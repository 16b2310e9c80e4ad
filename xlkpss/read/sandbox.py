"""Run parsers of untrusted files in child processes with a time and a memory limit.

A crafted file can make a parser hang or allocate without bound (python-calamine spins
at 10 GB on a 1 KB ``.xls`` whose sectors form a loop — corpus ``oleloop.xls``); no
in-process timeout can stop native code.  So every file is parsed in a worker
process: a worker that overruns the wall-time limit is killed and replaced, and the
address-space limit (``RLIMIT_AS``) makes a runaway allocation fail inside the worker
instead of taking the machine down.

:func:`map_safely` is generic: the function it runs may read *and* validate a file
(that is how the validation stage uses it — per-file work stays in the worker and only
compact results travel back, see PERF_NOTES).  Workers are long-lived and handle one
file at a time (the next one waits in the pipe), so a kill loses only the file that
caused it; the waiting one is given to another worker.
"""

from __future__ import annotations

import faulthandler
import gc
import multiprocessing as mp
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, TypeVar

from xlkpss.read.files import read_workbook
from xlkpss.read.model import RawSheet, RawWorkbook, ReadError
from xlkpss.read.safety import DEFAULT_LIMITS, ReadLimits

__all__ = ["map_safely", "read_safely"]

P = TypeVar("P")
R = TypeVar("R")

#: A worker is replaced when its resident memory has grown by this much since its first
#: file, so that fragmentation left by large files cannot accumulate into a spurious
#: memory-limit failure later; and after MAX_TASKS_PER_WORKER files at the latest.  (A
#: fixed 500 files cost the national run 17 fresh workers that rebuilt their code-list
#: caches: 15 % of the read stage's CPU; the workers' memory does not grow on ordinary files.)
MAX_GROWTH_MB = 300
MAX_TASKS_PER_WORKER = 5000
#: how often (in files) the parent looks at a worker's memory
_GROWTH_CHECK_EVERY = 50
#: Seconds a finished worker gets to exit by itself before it is killed.
_EXIT_GRACE_S = 2.0


def _start_method() -> str:
    # fork starts a worker in ~2 ms and inherits the imported modules; elsewhere
    # (macOS, Windows) only spawn is safe, and then ``func`` must be picklable.
    return "fork" if sys.platform.startswith("linux") else "spawn"


def _address_space_bytes() -> int | None:
    """Current virtual size of this process (Linux), None when unknown."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _resident_bytes(pid: int) -> int | None:
    """Resident memory of process ``pid`` (Linux), None when unknown."""
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _limit_memory(memory_mb: int) -> None:
    """Cap the worker's address space at what it has now plus ``memory_mb``.

    RLIMIT_AS counts virtual memory, and a forked worker inherits all of the parent's
    mappings (pandas, thread stacks, …), so an absolute cap could be below what the
    worker starts with; the headroom is what one file may use.
    """
    try:
        import resource
    except ImportError:  # not on POSIX: run without a memory limit
        return
    base = _address_space_bytes() or 0
    cap = base + memory_mb * 1024 * 1024
    try:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ValueError, OSError):
        pass


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the parent dies.

    A worker stuck in native code never reads the closed pipe, so without this a
    parent killed with SIGKILL (no cleanup runs) would leave it spinning.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _worker_main(func: Callable[[Any], Any], conn: Connection, memory_mb: int) -> None:
    """Loop: receive (index, path), send (index, status, payload); None ends the loop.

    status is "ok" (payload = func's result) or "error" (payload = ReadError).  After a
    MemoryError the worker reports and exits: its heap may be in any state.
    """
    # Ctrl+C reaches the whole process group; the parent decides what to do, workers
    # must not print tracebacks or die half-way through a send.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A worker dying of an allocation failure is an expected outcome that the parent
    # reports; an inherited faulthandler (pytest enables one) would dump a traceback.
    if faulthandler.is_enabled():
        faulthandler.disable()
    _die_with_parent()
    _limit_memory(memory_mb)
    # what the worker inherited stays as it is: the collector never walks it again (each
    # walk would write to every inherited object and copy its memory page from the parent)
    gc.freeze()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        index, path = task
        fatal = False
        try:
            message: tuple[int, str, Any] = (index, "ok", func(path))
        except ReadError as exc:
            message = (index, "error", exc)
        except MemoryError:
            message, fatal = (index, "error", ReadError("file-memory")), True
        except RecursionError as exc:
            message = (index, "error", ReadError("file-unsafe", str(exc)[:200]))
        except Exception as exc:  # noqa: BLE001 - whatever func raises is this file's failure
            message = (index, "error", ReadError("file-corrupt", (str(exc) or type(exc).__name__)[:200]))
        try:
            conn.send(message)
        except MemoryError:
            conn.send((index, "error", ReadError("file-memory")))
            fatal = True
        except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable result
            conn.send((index, "error", ReadError("file-corrupt", f"výsledek nelze předat: {exc}"[:200])))
        if fatal:
            return


@dataclass
class _Worker:
    process: Any  # multiprocessing.Process (context-specific class)
    conn: Connection
    index: int | None = None  # the file being processed
    started: float = 0.0
    done: int = 0
    queued: int | None = None  # the next file, already sent (waits in the pipe)
    rss0: int | None = None  # resident bytes after its first file
    retire: bool = False  # gets no more files; replaced once idle

    def due(self, held: int) -> bool:
        """Should this worker get no more files (replaced when it has finished what it
        holds)?  Counted in files, and its memory growth measured every few files."""
        if self.retire or self.done + held >= MAX_TASKS_PER_WORKER:
            return True
        if self.done and (self.rss0 is None or self.done % _GROWTH_CHECK_EVERY == 0):
            rss = _resident_bytes(self.process.pid)
            if self.rss0 is None:
                self.rss0 = rss
            elif rss is not None and rss - self.rss0 > MAX_GROWTH_MB * 1024 * 1024:
                self.retire = True
        return self.retire


class _Pool:
    """Long-lived worker processes, one task each at a time, with deadlines.

    Each worker also holds the next task in its pipe, so it starts it the moment it has
    sent a result instead of waiting for the parent to answer (with two workers on two
    cores the parent is often not scheduled at once).  A task waiting in the pipe of a
    worker that is killed or dies was never started: it goes to ``retry``.
    """

    def __init__(self, func: Callable[[Any], Any], size: int, limits: ReadLimits):
        self.func = func
        self.limits = limits
        self.retry: deque[int] = deque()
        self.ctx: Any = mp.get_context(_start_method())  # typeshed's BaseContext lacks Process
        self.workers: list[_Worker] = []
        try:
            for _ in range(size):
                self.workers.append(self._spawn())
        except BaseException:
            self.close(kill=True)  # e.g. fork failed for the third worker: reap the first two
            raise

    def _spawn(self) -> _Worker:
        parent_end, child_end = self.ctx.Pipe(duplex=True)
        proc = self.ctx.Process(
            target=_worker_main,
            args=(self.func, child_end, self.limits.memory_mb),
            daemon=True,  # never outlive the parent, even if it dies without cleanup
            name="xlkpss-reader",
        )
        proc.start()
        child_end.close()  # only the child holds it now, so its death shows as EOF here
        return _Worker(proc, parent_end)

    def replace(self, worker: _Worker, kill: bool) -> None:
        """Stop ``worker`` (kill it when it is stuck) and put a fresh one in its place."""
        if worker.queued is not None:
            self.retry.append(worker.queued)
            worker.queued = None
        if not kill:
            kill = not self._ask_to_exit(worker)
        self._reap(worker, kill)
        self.workers[self.workers.index(worker)] = self._spawn()

    def close(self, kill: bool = False) -> None:
        """Stop all workers: idle ones are asked to exit (all first, then reaped), busy
        ones are killed."""
        polite = [] if kill else [w for w in self.workers if w.index is None and self._ask_to_exit(w)]
        for worker in self.workers:
            try:
                self._reap(worker, kill=worker not in polite)
            except (OSError, ValueError):  # already closed
                pass
        self.workers = []

    @staticmethod
    def _ask_to_exit(worker: _Worker) -> bool:
        try:
            worker.conn.send(None)
            return True
        except (OSError, ValueError):
            return False

    @staticmethod
    def _reap(worker: _Worker, kill: bool) -> None:
        proc = worker.process
        if kill:
            proc.kill()
        proc.join(_EXIT_GRACE_S)
        if proc.is_alive():
            proc.kill()
        proc.join()  # reap: no zombies
        worker.conn.close()
        proc.close()


def _default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def map_safely(
    func: Callable[[P], R],
    paths: Iterable[P],
    *,
    workers: int | None = None,
    limits: ReadLimits | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[tuple[P, R | ReadError]]:
    """Apply ``func`` to every path in worker processes; yield ``(path, outcome)``.

    Outcomes are yielded **in input order** (deterministic reports), while the workers
    run ahead.  ``outcome`` is ``func(path)``'s result or a :class:`ReadError`:

    - ``file-timeout`` when the file took longer than ``limits.timeout_s`` (the worker
      is killed and replaced);
    - ``file-memory`` on MemoryError inside the worker, or when the worker died by a
      signal (a native allocation failure under the memory limit aborts the process);
    - the ReadError that ``func`` raised, or ``file-corrupt`` with the text of any
      other exception.

    ``func`` must be a top-level function (or other picklable callable) when the start
    method is not fork.  ``workers`` defaults to the number of usable CPUs and is never
    more than the number of files.  ``progress(done, total)`` is called as files finish.
    Closing the iterator early or Ctrl+C kills the workers.
    """
    limits = limits or DEFAULT_LIMITS
    items = list(paths)
    total = len(items)
    if not total:
        return
    size = max(1, min(workers or _default_workers(), total))
    results: dict[int, Any] = {}
    next_task = 0
    next_yield = 0
    finished = 0
    pool = _Pool(func, size, limits)
    clean = False
    try:
        while next_yield < total:
            # every worker: a file running and the next one waiting in its pipe
            for slot, worker in enumerate(pool.workers):
                while worker.queued is None and (pool.retry or next_task < total):
                    held = (worker.index is not None) + (worker.queued is not None)
                    if worker.due(held):
                        if held:
                            break  # let it finish what it holds; replaced once idle
                        pool.replace(worker, kill=False)
                        worker = pool.workers[slot]
                    task = pool.retry.popleft() if pool.retry else next_task
                    try:
                        worker.conn.send((task, items[task]))
                    except (OSError, ValueError):
                        if task != next_task:
                            pool.retry.appendleft(task)
                        if worker.index is None:
                            pool.replace(worker, kill=True)  # died while idle: the next round retries
                        break  # a busy worker's death is noticed by _collect
                    if task == next_task:
                        next_task += 1
                    if worker.index is None:
                        worker.index, worker.started = task, time.monotonic()
                    else:
                        worker.queued = task
            busy = [w for w in pool.workers if w.index is not None]
            if busy and next_yield not in results:
                now = time.monotonic()
                timeout = max(0.0, min(w.started + limits.timeout_s - now for w in busy))
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout))
                for worker in busy:
                    outcome = _collect(pool, worker, ready, limits)
                    if outcome is not None:
                        index, value = outcome
                        results[index] = value
                        finished += 1
                        if progress is not None:
                            progress(finished, total)
            while next_yield in results:
                yield items[next_yield], results.pop(next_yield)
                next_yield += 1
        clean = True
    finally:
        # normal end: let workers exit by themselves; early close, error or Ctrl+C: kill
        pool.close(kill=not clean)


def _collect(pool: _Pool, worker: _Worker, ready: set[Any], limits: ReadLimits) -> tuple[int, Any] | None:
    """The finished file of ``worker`` if there is one; handles death and timeout."""
    index = worker.index
    assert index is not None
    if worker.conn in ready or worker.process.sentinel in ready:
        # a result sent just before the worker exited is still in the pipe: read it first
        if worker.conn.poll():
            try:
                got_index, status, payload = worker.conn.recv()
            except (EOFError, OSError):
                pass  # died without (a complete) answer: handled as death below
            except Exception as exc:  # noqa: BLE001 - a result that cannot be unpickled here
                worker.index = None
                worker.done += 1
                if worker.queued is not None:
                    worker.index, worker.started, worker.queued = worker.queued, time.monotonic(), None
                return index, ReadError("file-corrupt", f"výsledek nelze převzít: {exc}"[:200])
            else:
                worker.index = None
                worker.done += 1
                if status == "error" and payload.code == "file-memory":
                    pool.replace(worker, kill=True)  # the worker exits after a MemoryError
                elif worker.queued is not None:  # it has started the file waiting in its pipe
                    worker.index, worker.started, worker.queued = worker.queued, time.monotonic(), None
                return got_index, payload
        worker.process.join(_EXIT_GRACE_S)
        code = worker.process.exitcode
        worker.index = None
        pool.replace(worker, kill=True)
        if code is not None and code < 0:
            # killed by a signal: SIGABRT from a failed native allocation, SIGKILL from
            # the kernel's OOM killer, SIGSEGV from a parser overrunning its memory
            return index, ReadError("file-memory", f"signál {-code}")
        return index, ReadError("file-corrupt", f"čtecí proces skončil s kódem {code}")
    if time.monotonic() - worker.started >= limits.timeout_s:
        worker.index = None
        pool.replace(worker, kill=True)
        return index, ReadError("file-timeout", expected=f"{limits.timeout_s:g}")
    return None


class _ReadJob:
    """Picklable ``path -> RawWorkbook`` for the sandbox (a closure would not pickle
    under the spawn start method)."""

    def __init__(self, engine: str, limits: ReadLimits, sheets: frozenset[str] | None = None):
        self.engine = engine
        self.limits = limits
        self.sheets = sheets

    def __call__(self, path: str | Path) -> RawWorkbook:
        if self.sheets is None:
            return read_workbook(path, engine=self.engine, limits=self.limits)
        wb = read_workbook(path, engine=self.engine, limits=self.limits, lazy=True)
        kept = [
            RawSheet(s.name, s.rows, dict(s.errors), s.hidden, list(s.merged)) for s in wb.sheets if s.name in self.sheets
        ]
        truncated = {name: n for name, n in wb.truncated.items() if name in self.sheets}
        return RawWorkbook(wb.path, wb.format, kept, wb.application, truncated)


def read_safely(
    path: str | Path,
    engine: str = "calamine",
    limits: ReadLimits | None = None,
    *,
    sheets: Iterable[str] | None = None,
) -> RawWorkbook:
    """:func:`~xlkpss.read.files.read_workbook` in a child process with the time and
    memory limits of ``limits``; raises :class:`ReadError` (including file-timeout and
    file-memory) for a file that cannot be read.  ``sheets``: only these sheets are
    parsed and returned (the others are never read)."""
    limits = limits or DEFAULT_LIMITS
    job = _ReadJob(engine, limits, None if sheets is None else frozenset(sheets))
    for _path, outcome in map_safely(job, [path], workers=1, limits=limits):
        if isinstance(outcome, ReadError):
            raise outcome
        return outcome
    raise AssertionError("unreachable: one path gives one outcome")  # pragma: no cover
