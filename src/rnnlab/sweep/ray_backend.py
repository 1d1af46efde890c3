"""The Ray backend: each unit of work a Ray task running the same `execute_unit` as the local pool (Ray imported
lazily); the units are the runner's plan_units, so a grid point's seeds train together here too.

With no address, a local Ray instance is started that listens on 127.0.0.1 only (no dashboard); with
"auto" or "HOST:PORT" the sweep joins an existing cluster, after checking that the address answers.
Ray re-runs a task whose worker process died (max_retries); the results stream back to this process,
which persists each one at once.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from rnnlab.sweep.config import Trial
from rnnlab.sweep.trial import GroupFn, TrialFn, execute_unit

INSTALL_HINT = "pip install 'rnnlab[ray]'"
MAX_RETRIES = 3  # re-runs of a task whose worker died (Ray's own retry of system failures)
CONNECT_TIMEOUT_S = 5.0
# On Linux, Ray turns a node address of 127.0.0.1 into the machine's routable address and listens there; with
# this off (Ray's single-machine mode) every Ray process of the instance binds to loopback.
_LOOPBACK_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


@contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def import_ray() -> ModuleType:
    """Ray, or a ValueError saying how to install it."""
    try:
        with _env(_LOOPBACK_ENV, "0"):  # read once, when Ray is first imported
            import ray
    except ImportError:
        raise ValueError(f"the ray backend needs Ray, which is not installed: {INSTALL_HINT}") from None
    return ray


def start_local(num_cpus: int) -> str:
    """Start a local Ray instance bound to 127.0.0.1 (no dashboard) and connect to it; returns its address."""
    ray = import_ray()
    with _env(_LOOPBACK_ENV, "0"):  # inherited by the head's processes
        ctx = ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, _node_ip_address="127.0.0.1",
                       log_to_driver=False, logging_level=logging.ERROR)
    address = str(ctx.address_info.get("address") or ctx.address_info.get("gcs_address"))
    if not address.startswith("127.0.0.1:"):
        ray.shutdown()
        raise RuntimeError(f"the local Ray instance came up at {address}, not on loopback; stopped it")
    return address


def _host_port(address: str) -> tuple[str, int]:
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, sep, port = hostport.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"bad Ray address {address!r}; valid: auto, or HOST:PORT of the cluster's head, "
                         "e.g. 127.0.0.1:6379")
    return host.strip("[]"), int(port)


def resolve(address: str) -> str:
    """'auto' -> the address of the cluster this machine knows of (RAY_ADDRESS, or the last `ray start`)."""
    if address != "auto":
        return address
    from ray._private.services import canonicalize_bootstrap_address  # what ray.init("auto") itself consults

    try:
        found = canonicalize_bootstrap_address("auto")
    except (ConnectionError, ValueError) as e:
        raise ValueError(f"--address auto: no running Ray cluster found ({str(e).splitlines()[0]}); start one "
                         "with `ray start --head`, or leave out --address to start a local instance") from None
    if not found:
        raise ValueError("--address auto: no running Ray cluster found; start one with `ray start --head`, "
                         "or leave out --address to start a local instance")
    return str(found)


def check_reachable(address: str) -> None:
    """A ValueError at once if nothing answers at the cluster's address (ray.init itself would wait for minutes)."""
    host, port = _host_port(resolve(address))
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as e:
        raise ValueError(f"cannot reach a Ray cluster at {address!r} ({host}:{port}: "
                         f"{e.strerror or type(e).__name__})") from None


def connect(address: str) -> None:
    """Join an existing cluster at address ("auto" or HOST:PORT)."""
    ray = import_ray()
    check_reachable(address)
    try:
        ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise ValueError(f"cannot connect to Ray at {address!r}: {str(e).splitlines()[0]}") from None


def run_ray(trial_fn: TrialFn, group_fn: GroupFn | None, units: list[list[Trial]], address: str | None,
            workers: int) -> Iterator[tuple[Trial, dict[str, Any]]]:
    """Each unit a Ray task (1 CPU); yields each trial of each finished unit as it arrives, in completion order."""
    ray = import_ray()
    if address is not None:
        check_reachable(address)
    started = not ray.is_initialized()  # a caller that already started or joined Ray keeps its connection
    if not started and address is not None:
        raise ValueError(f"this process is already connected to Ray; cannot also join {address!r}")
    if started:
        if address is None:
            start_local(workers)
        else:
            connect(address)
    from ray.exceptions import RayError

    remote = ray.remote(num_cpus=1, max_retries=MAX_RETRIES, retry_exceptions=False)(execute_unit)
    refs = {remote.remote(trial_fn, group_fn, [t.id for t in unit], [t.config for t in unit]): unit
            for unit in units}
    pending = list(refs)
    try:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                unit = refs[ref]
                try:
                    records = ray.get(ref)
                except RayError as e:  # the worker died on every retry, or the task could not run at all
                    records = [{"id": t.id, "status": "error", "result": None, "seconds": 0.0, "pid": None,
                                "unit": len(unit), "error": {"type": type(e).__name__,
                                                             "message": str(e).splitlines()[0]}} for t in unit]
                yield from zip(unit, records, strict=True)
    finally:
        for ref in pending:  # interrupted: running tasks are stopped, queued ones never start
            ray.cancel(ref, force=True)
        if started:
            ray.shutdown()
