"""Running a batch on an existing Dask distributed cluster (``pip install kneechain[distributed]``).

The workers run the same ``analyze_one`` as the local pool; they need kneechain installed and the videos
and OUTDIR at the same paths (a shared file system). The main process keeps the manifest and summary.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from kneechain.errors import KneechainError

INSTALL_HINT = "Install the optional extra: pip install kneechain[distributed]"


class DaskUnavailableError(KneechainError):
    exit_code = 2


class DaskExecutor:
    name = "dask"

    def __init__(self, scheduler=None, *, client=None, jobs: int | None = None) -> None:
        try:
            import distributed
        except ImportError:
            raise DaskUnavailableError("the dask executor needs dask[distributed].", INSTALL_HINT) from None
        self._distributed = distributed
        self._own = client is None
        if client is None:
            if not scheduler:
                raise DaskUnavailableError("--executor dask needs --scheduler tcp://HOST:PORT.", "")
            try:
                client = distributed.Client(scheduler, timeout="20s")
            except OSError as error:
                raise DaskUnavailableError(
                    f"cannot reach the Dask scheduler '{scheduler}' ({error}).",
                    "Check the address and that the scheduler is running.",
                ) from None
        self.client = client
        self._futures: list = []
        threads = sum(client.nthreads().values()) or 1
        self.slots = max(1, jobs or threads)

    def submit(self, fn: Callable, *args):
        future = self.client.submit(fn, *args, pure=False)
        self._futures.append(future)
        return future

    def wait_any(self, futures, timeout: float) -> list:
        futures = list(futures)
        with contextlib.suppress(Exception):  # a timeout (its class differs between versions)
            self._distributed.wait(futures, timeout=timeout, return_when="FIRST_COMPLETED")
        return [f for f in futures if f.done()]

    def shutdown(self, cancel: bool = False) -> None:
        if cancel:
            for future in self._futures:
                if not future.done():
                    future.cancel()
        if self._own:
            self.client.close()
