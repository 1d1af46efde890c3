"""The Ray backend on a local instance (loopback only): a worker killed mid-sweep, nothing lost or duplicated,
and the same numbers as the local process pool, bit for bit."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from rnnlab.cli.main import main
from rnnlab.dynamics.training import TrainConfig
from rnnlab.sweep import load_config, load_sweep, run_sweep, train_trial
from rnnlab.sweep.trial import train_trials

pytestmark = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                                reason="ray is not installed (pip install 'rnnlab[ray]')")

TINY = Path(__file__).parents[2] / "examples" / "sweeps" / "tiny.toml"
VICTIM = {"cell": "skip", "T": 5, "seed": 1}  # the trial whose worker is killed


@pytest.fixture(scope="module")
def ray_instance() -> Iterator[str]:
    """One local Ray instance for the module (starting one takes seconds)."""
    from rnnlab.sweep.ray_backend import start_local

    address = start_local(num_cpus=2)
    import ray

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # Ray workers cannot import this test module
    yield address
    ray.shutdown()


def _descendants(root: int) -> set[int]:
    parent = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parent[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = set(), {root}
    while frontier:
        frontier = {p for p, pp in parent.items() if pp in frontier} - found
        found |= frontier
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _listening(pids: set[int]) -> list[str]:
    """Local addresses (hex, as in /proc/net/tcp*) of the TCP sockets in LISTEN state owned by pids."""
    inodes = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    addresses = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] == "0A" and cols[9] in inodes:  # 0A = LISTEN
                addresses.append(cols[1].split(":")[0])
    return addresses


LOOPBACK = {"0100007F", "0000000000000000FFFF00000100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1


def test_local_instance_listens_on_loopback_only(ray_instance: str) -> None:
    assert ray_instance.startswith("127.0.0.1:")
    ray_pids = {p for p in _descendants(os.getpid()) if b"ray" in _cmdline(p)}  # gcs_server, raylet, ray::workers
    assert ray_pids
    addresses = _listening(ray_pids)
    assert addresses and set(addresses) <= LOOPBACK, addresses


def killed_once(config: TrainConfig, marker: Path) -> dict[str, Any]:
    """The victim trial records its pid and waits to be killed; Ray's retry then runs it normally."""
    if {"cell": config.cell, "T": config.T, "seed": config.seed} == VICTIM and not marker.exists():
        tmp = marker.with_suffix(".tmp")
        tmp.write_text(str(os.getpid()))
        os.replace(tmp, marker)
        time.sleep(600)  # not reached: the killer thread kills this process as soon as the marker appears
    return train_trial(config)


def _kill_when_marked(marker: Path, killed: list[int], done: threading.Event) -> None:
    # waits as long as the sweep runs: on a loaded machine Ray may start the victim's trial late
    while not marker.exists() and not done.is_set():
        time.sleep(0.05)
    if marker.exists():
        pid = int(marker.read_text())
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)


@pytest.fixture(scope="module")
def ray_sweep(ray_instance: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("ray")
    marker, killed, done = base / "victim.pid", [], threading.Event()
    killer = threading.Thread(target=_kill_when_marked, args=(marker, killed, done))
    killer.start()
    try:
        run = run_sweep(load_config(TINY), base / "ray", "ray", workers=2,
                        trial_fn=partial(killed_once, marker=marker))
    finally:
        done.set()
        killer.join()
    return {"run": run, "out": base / "ray", "killed": killed, "base": base}


def test_killed_worker_loses_nothing_and_duplicates_nothing(ray_sweep: dict[str, Any]) -> None:
    run, out = ray_sweep["run"], ray_sweep["out"]
    assert len(ray_sweep["killed"]) == 1  # a Ray worker really died mid-sweep
    expected = {t.id for t in load_config(TINY).trials()}
    files = {p.stem for p in (out / "trials").glob("*.json")}
    assert files == expected and (run.ran, run.errors, run.total) == (12, 0, 12)
    victim = [r for r in load_sweep(out).records.values() if r.params == VICTIM]
    assert len(victim) == 1 and victim[0].status == "ok" and victim[0].extra["pid"] != ray_sweep["killed"][0]
    assert all(json.loads((out / "trials" / f"{k}.json").read_text())["backend"] == "ray" for k in files)


def test_ray_equals_local_bit_for_bit(ray_sweep: dict[str, Any]) -> None:
    # the ray run's trial function has no grouped form, so each of its trials ran alone: compare with the same
    local = run_sweep(load_config(TINY), ray_sweep["base"] / "local", "local", workers=2, batch=False)
    ray_records = load_sweep(ray_sweep["out"]).records
    assert local.ran == 12 and set(local.records) == set(ray_records)
    for key, record in local.records.items():
        assert record.result == ray_records[key].result, record.params  # floats compared exactly


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_address_is_one_line_and_loses_nothing(ray_sweep: dict[str, Any],
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = ray_sweep["out"]
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in (out / "trials").glob("*.json")}
    address = f"127.0.0.1:{_free_port()}"
    started = time.monotonic()
    rc = main(["sweep", str(TINY), "--out", str(out), "--backend", "ray", "--address", address])
    err = capsys.readouterr().err
    assert rc == 2 and time.monotonic() - started < 30
    assert err.count("\n") == 1 and "cannot reach a Ray cluster" in err and address in err
    after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in (out / "trials").glob("*.json")}
    assert after == before


def test_join_an_existing_cluster_with_address_auto(ray_sweep: dict[str, Any], ray_instance: str,
                                                    tmp_path: Path) -> None:
    """A second process joins the running instance (`--address auto` finds it through RAY_ADDRESS)."""
    text = TINY.read_text().split("[grid]")[0] + '[grid]\ncell = ["skip"]\nT = [5]\nseed = [0, 1]\n'
    (tmp_path / "two.toml").write_text(text)
    cmd = [sys.executable, "-m", "rnnlab", "sweep", str(tmp_path / "two.toml"), "--out", str(tmp_path / "out"),
           "--backend", "ray", "--address", "auto", "--workers", "1", "--json"]  # 1: no split of the seeds
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "RAY_ADDRESS": ray_instance})
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["ran"], report["units"]) == (2, 1)  # the two seeds trained together, as one Ray task
    joined = load_sweep(tmp_path / "out")
    assert len(joined.records) == 2
    for t in joined.trials:  # each seed's record is its own, the same bits as batched training here
        assert joined.records[t.id].result == json.loads(json.dumps(train_trials([t.config])[0]))
        assert joined.records[t.id].extra["unit"] == 2
