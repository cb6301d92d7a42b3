"""Keeping Python's cycle collector off a large import's data set.

Reading a file builds millions of objects (its records) that all stay alive until the
import ends. Each time enough new objects pile up, the cycle collector scans them again;
for a 10,000-event file that was about half the CPU time of reading and a third of
planning, and it never found anything to free. So the collector is paused while the
data set is built, and then the data set is frozen out of its scans (`gc.freeze`): it
still runs for what planning and writing leave behind (loaded rows refer to each other
in cycles), and only scans that.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class ImportHeap:
    """Within `import_heap()`: `built()` marks the data set complete."""

    collecting: bool  # whether the collector ran before the import

    def built(self) -> None:
        """Freeze every object alive now out of the collector's scans and let it run again."""
        gc.freeze()
        if self.collecting:
            gc.enable()


@contextmanager
def import_heap() -> Iterator[ImportHeap]:
    """Around one import: the collector is off until `built()`, and on leaving, whatever
    was frozen is handed back to it (a long-running bot must not keep it frozen)."""
    heap = ImportHeap(collecting=gc.isenabled())
    gc.disable()
    try:
        yield heap
    finally:
        gc.unfreeze()
        if heap.collecting:
            gc.enable()
