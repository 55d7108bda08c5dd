"""Who used the machine's CPU during a load run: the server's process group, PostgreSQL, wrk.

A row that misses its target is bound by the machine when its cores are busy for the whole
run; by the server's event loop when the server uses one core and the machine has more.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuUse:
    busy: float  # share of all cores' time not idle, 0..1
    cores: int
    server: float  # cores' worth of CPU used over the run
    postgres: float
    wrk: float

    def describe(self) -> str:
        return (
            f"machine {self.busy:.0%} busy ({self.cores} cores); cores used: server {self.server:.2f}, "
            f"postgres {self.postgres:.2f}, wrk {self.wrk:.2f}"
        )


@dataclass
class Meter:
    result: CpuUse | None = field(default=None)


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot (/proc/stat's first line)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # user .. steal (guest time is already counted in user)
    return total - idle, total


def _process_ticks(server_pgid: int) -> tuple[int, int]:
    """(server group, postgres) utime+stime jiffies of the processes alive now."""
    server = postgres = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        command, rest = text.split(" (", 1)[1].rsplit(") ", 1)
        fields = rest.split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14-15 of stat)
        if int(fields[2]) == server_pgid:  # pgrp
            server += ticks
        elif command == "postgres":
            postgres += ticks
    return server, postgres


def group_cpu_seconds(pgid: int) -> float:
    return _process_ticks(pgid)[0] / _TICK


def _children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once waited for
    return usage.ru_utime + usage.ru_stime


@contextmanager
def meter(server_pgid: int) -> Iterator[Meter]:
    """Measure CPU use over the block; backends or servers that exit inside it are not counted."""
    holder = Meter()
    started = time.monotonic()
    busy0, total0 = _machine_ticks()
    server0, postgres0 = _process_ticks(server_pgid)
    children0 = _children_seconds()
    yield holder
    elapsed = time.monotonic() - started
    busy1, total1 = _machine_ticks()
    server1, postgres1 = _process_ticks(server_pgid)
    holder.result = CpuUse(
        busy=(busy1 - busy0) / max(total1 - total0, 1),
        cores=os.cpu_count() or 1,
        server=(server1 - server0) / _TICK / elapsed,
        postgres=(postgres1 - postgres0) / _TICK / elapsed,
        wrk=(_children_seconds() - children0) / elapsed,
    )
