"""Server memory as orders accumulate: RSS of the server's process group after `small`
orders placed through POST /v1/orders, then after `large` (issue 10: within 1.2x)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class MemoryResult:
    small_orders: int
    small_rss_mb: float
    large_orders: int
    large_rss_mb: float

    @property
    def ratio(self) -> float:
        return self.large_rss_mb / self.small_rss_mb


def rss_mb(pgid: int) -> float:
    """Resident memory of every process in the group (uvicorn workers included)."""
    kb = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:
                continue
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                kb += int(line.split()[1])
    return kb / 1024
