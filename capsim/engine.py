"""Where independent pieces of work run: in this process (the default) or on a Dask cluster.

Both engines have one method, :meth:`map_unordered`, which takes ``{key: argument}`` and yields
``(key, ok, value)`` as each piece finishes: ``value`` is ``fn(argument)`` when ``ok``, else the
exception it raised. A failed piece never stops the others. Sweeps and the chunked province
projection call only this method, so the local and the distributed path are one code path.

Dask (``pip install 'capsim[dask]'``) is used when a scheduler address is given (a running
cluster: every worker must import capsim and read the scenario's data files at the same paths)
or a number of local workers is asked for (a ``LocalCluster`` of single-threaded worker
processes, closed again on exit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator


class LocalEngine:
    """Runs each piece in this process, one after another."""

    workers = 1

    def map_unordered(self, fn: Callable, items: dict) -> Iterator[tuple]:
        for key, argument in items.items():
            try:
                value = fn(argument)
            except Exception as exc:  # a failed piece is reported, the others go on
                yield key, False, exc
            else:
                yield key, True, value

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class DaskEngine(LocalEngine):
    """Runs each piece as a ``dask.distributed`` task; results come back as tasks finish.

    A worker that dies has its pieces rerun elsewhere by the scheduler; a piece that kills
    workers repeatedly comes back as failed (``KilledWorker``)."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None, memory_limit="auto"):
        from distributed import Client, LocalCluster

        self._cluster = None
        if scheduler:
            self.client = Client(scheduler)
        else:
            self._cluster = LocalCluster(n_workers=workers or 1, threads_per_worker=1, processes=True,
                                         dashboard_address=None, memory_limit=memory_limit)
            self.client = Client(self._cluster)
        self.workers = len(self.client.scheduler_info()["workers"]) or (workers or 1)

    def map_unordered(self, fn: Callable, items: dict) -> Iterator[tuple]:
        from distributed import as_completed

        futures = {self.client.submit(fn, argument, pure=False): key for key, argument in items.items()}
        try:
            for future in as_completed(futures):
                key = futures[future]
                if future.status == "error":
                    yield key, False, future.exception()
                else:
                    yield key, True, future.result()
                future.release()
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_engine(scheduler: str | None = None, workers: int | None = None) -> LocalEngine:
    """The local engine unless a scheduler address or a number of local workers is given."""
    if scheduler is None and workers is None:
        return LocalEngine()
    try:
        import distributed  # noqa: F401
    except ImportError:
        from capsim.errors import Problem, ScenarioError

        option = "--scheduler" if scheduler else "--workers"
        raise ScenarioError([Problem(option, "needs dask.distributed, which is not installed.",
                                     scheduler or workers, "pip install 'capsim[dask]', or leave the option out "
                                     "to run in this process.")]) from None
    return DaskEngine(scheduler=scheduler, workers=workers)
