"""What the benchmarks share: memory readings and the closing lines."""

from __future__ import annotations

import resource
import time


def peak_rss_mib() -> float:
    """This process's peak resident memory (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def finish(started: float, problems: list[str]) -> int:
    """Print the total time and any failed verdicts; the exit code says whether all passed."""
    print(f"\ntotal bench time {time.perf_counter() - started:.1f}s")
    if problems:
        print("\nPROBLEMS:")
        for problem in problems:
            print(f"  {problem}")
        return 1
    return 0
