"""The cyclic garbage collector in a long-running server.

A full (generation 2) collection walks every container object the process holds. After
start-up that is ~165,000 objects (modules, functions, the routes and schemas of both
products), nearly all alive until exit, and walking them took 90-136 ms of CPU with the event
loop stopped, 2-4 times per 10 s under GET load: every request in flight waited for it, and
those waits were GET's p99 (docs/performance.md, change 16). Frozen, they are skipped by every
collection; what requests allocate is collected as before.
"""

from __future__ import annotations

import gc

import structlog

log = structlog.get_logger("orderdesk.heap")


def freeze_startup_heap() -> None:
    """Collect once, then move every object alive into the collector's permanent generation.
    Call it when start-up is done, before serving. Frozen objects are still freed when their
    last reference goes; only a reference cycle among them would stay until exit."""
    gc.collect()
    gc.freeze()
    log.info("heap_frozen", objects=gc.get_freeze_count())
