"""Benchmark: run time and peak memory of the drift step on a 100,000-row window.

Run with ``.venv/bin/python tests/benchmarks/monitor_benchmark.py``. Writes 100,000 captured
requests (one CSV row each, the drifted sample traffic of ``tests/pipelines/monitoring_samples``,
seeded) into a temporary capture folder, then runs ``monitor_drift.py`` on it as a job would, in a
fresh interpreter, against the shipped baseline, without publishing. Reports the wall time of
that process (imports included) and its peak resident memory (``getrusage`` of the child).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT / "tests" / "pipelines"))

from monitoring_samples import DATA, capture_lines, features  # noqa: E402

ROWS = 100_000
RUNS = 3


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        capture = Path(folder) / "capture"
        # Spread over the 12-hour sample window, as the shipped sample traffic is.
        for hour, lines in capture_lines(features(ROWS, seed=5, drifted=True), "bench").items():
            path = capture / hour / "capture.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(lines) + "\n")
        size = sum(path.stat().st_size for path in capture.rglob("*.jsonl"))
        command = [
            sys.executable, str(PROJECT / "pipelines" / "steps" / "monitor_drift.py"),
            "--model", "bench", "--version", "1", "--environment", "dev",
            "--baseline", str(DATA / "baseline.json"), "--capture", str(capture),
            "--window-end", "2026-12-01T13:00:00Z", "--window-hours", "13",
            "--output-dir", str(Path(folder) / "out"), "--no-publish",
        ]  # fmt: skip
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        # ru_maxrss of children is in KiB on Linux: the largest of the step processes.
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        report = json.loads((Path(folder) / "out" / "drift-report.json").read_text())
    print(f"drift step, {report['captured_rows']:,} captured rows ({size / 2**20:.1f} MiB of JSON Lines)")
    print(f"wall time per run (s): {' '.join(f'{t:.2f}' for t in times)}; best {min(times):.2f}")
    print(f"peak resident memory: {peak_mib:.0f} MiB")
    print(f"max PSI {report['max_psi']}, drifted: {', '.join(report['drifted_features'])}")


if __name__ == "__main__":
    main()
