"""Dispatch benchmark: throughput of one daemon on a backlog, and lateness when idle.

Run by hand (not part of the tests):

    .venv/bin/python bench/dispatch.py                 # SQLite, 100,000 posts
    .venv/bin/python bench/dispatch.py --posts 20000 --database postgresql://postgres@127.0.0.1/bench

1. Backlog: queue N posts all due now, start one real `tactful daemon` process, and time
   it until the outbox holds N lines. Reports posts/second and the lateness of each post
   (outbox write time minus due time), which for a backlog grows with the queue.
2. Idle: with the daemon running and idle, queue posts due over the next minute at a
   steady rate and measure each one's lateness (target: p99 under 1 s).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from scheduler.models import NewPost
from scheduler.store import Change, Store

TACTFUL = str(Path(sys.executable).parent / "tactful")


def config(folder: Path, database: str, batch: int) -> Path:
    data = {
        "database": database,
        "daemon": {"tick_seconds": 15, "poll_seconds": 0.2, "batch_size": batch},
        "brands": [
            {
                "id": "bench",
                "channels": [{"id": "bench-outbox", "kind": "outbox", "path": "outbox.jsonl"}],
            }
        ],
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def queue(store: Store, dues: list[datetime], label: str) -> float:
    started = time.perf_counter()
    chunk = 5000
    for start in range(0, len(dues), chunk):
        posts = [
            NewPost(
                brand="bench",
                channel="bench-outbox",
                text=f"{label} post {i}",
                due_at=due,
                tags=("promo",),
                lang="en",
            )
            for i, due in enumerate(dues[start : start + chunk], start)
        ]
        store.add_posts(posts, Change(actor="bench", now=datetime.now(UTC), action="create"))
    return time.perf_counter() - started


def lateness(outbox: Path, skip: int = 0) -> list[float]:
    out = []
    with outbox.open() as handle:
        for number, line in enumerate(handle):
            if number < skip:
                continue
            record = json.loads(line)
            written = datetime.fromisoformat(record["written_at"])
            out.append((written - datetime.fromisoformat(record["due_at"])).total_seconds())
    return out


def count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def wait_lines(path: Path, n: int, timeout: float) -> None:
    """Wait for n lines, reading only what was appended since the last look (the
    harness must not compete with the daemon for the CPU)."""
    deadline = time.monotonic() + timeout
    seen, offset = 0, 0
    while seen < n:
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out: {seen} of {n} lines")
        time.sleep(0.2)
        if path.exists():
            with path.open("rb") as handle:
                handle.seek(offset)
                data = handle.read()
            seen += data.count(b"\n")
            offset += len(data)


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": round(q[49], 4), "p99": round(q[98], 4), "max": round(ordered[-1], 4)}


def backlog(folder: Path, cfg: Path, store: Store, n: int, daemons: int = 1) -> dict:
    now = datetime.now(UTC)
    queue_seconds = queue(store, [now] * n, "backlog")
    outbox = folder / "outbox.jsonl"
    started = time.perf_counter()
    running = [
        subprocess.Popen([TACTFUL, "--config", str(cfg), "daemon"], stderr=subprocess.DEVNULL)
        for _ in range(daemons)
    ]
    wait_lines(outbox, n, timeout=3600)
    elapsed = time.perf_counter() - started
    for daemon in running:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(60)
    late = lateness(outbox)
    written = sorted(
        datetime.fromisoformat(json.loads(line)["written_at"])
        for line in outbox.read_text().splitlines()
    )
    sending = (written[-1] - written[0]).total_seconds()
    return {
        "posts": n,
        "daemons": daemons,
        "queue_seconds": round(queue_seconds, 2),
        "queue_posts_per_s": round(n / queue_seconds),
        "daemon_seconds": round(elapsed, 2),
        "posts_per_s": round(n / elapsed),
        "posts_per_s_first_to_last_write": round(n / sending) if sending else None,
        "lateness_s": percentiles(late),
        "outbox_lines": len(written),
        "distinct_posts": len({json.loads(line)["id"] for line in outbox.read_text().splitlines()}),
    }


def idle(folder: Path, cfg: Path, store: Store, n: int, spread: float) -> dict:
    outbox = folder / "outbox.jsonl"
    already = count_lines(outbox)
    daemon = subprocess.Popen([TACTFUL, "--config", str(cfg), "daemon"], stderr=subprocess.DEVNULL)
    time.sleep(2)  # the daemon is up and idle
    first = datetime.now(UTC) + timedelta(seconds=3)
    step = spread / n
    queue(store, [first + timedelta(seconds=i * step) for i in range(n)], "idle")
    wait_lines(outbox, already + n, timeout=spread + 120)
    daemon.send_signal(signal.SIGTERM)
    daemon.wait(60)
    return {"posts": n, "spread_s": spread, "lateness_s": percentiles(lateness(outbox, already))}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--idle-posts", type=int, default=3000)
    parser.add_argument("--idle-spread", type=float, default=60.0)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--daemons", type=int, default=1, help="daemons sharing the backlog")
    parser.add_argument("--database", help="SQLAlchemy URL (default: a SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tactful-bench-") as tmp:
        folder = Path(tmp)
        database = args.database or str(folder / "bench.db")
        cfg = config(folder, database, args.batch)
        url = database if "://" in database else f"sqlite:///{database}"
        store = Store.open(url)
        result = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cpu, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}",
            "backend": store.backend,
            "batch_size": args.batch,
            "backlog": backlog(folder, cfg, store, args.posts, args.daemons),
            "idle": idle(folder, cfg, store, args.idle_posts, args.idle_spread),
        }
        store.close()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
