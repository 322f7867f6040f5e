"""PostgreSQL dispatch with 1, 2, 4 and 8 daemons, side by side with a lean baseline.

Run by hand (not part of the tests), with PostgreSQL on 127.0.0.1 (trust auth):

    .venv/bin/python bench/scale.py                          # 20,000 posts; 1,2,4,8
    .venv/bin/python bench/scale.py --posts 50000 --daemons 1,4 --rounds 2

For each daemon count K, alternating, in a fresh database each time:
1. Tactful: queue N posts due now (one outbox channel), start K real `tactful daemon`
   processes, and time until the outbox holds N lines (start-up included).
2. Lean baseline, the same schema and queue: K processes each looping over one
   `SELECT ... FOR UPDATE SKIP LOCKED LIMIT 200` claim, an UPDATE to publishing and
   its audit lines (one transaction), an outbox line per post with one fsync, then one
   UPDATE to published and its audit lines (a second transaction): what a job queue
   with Tactful's bookkeeping but none of its checks costs here.
3. With K daemons running and idle: `crisis on` from the CLI, then the time until every
   daemon's heartbeat row shows the new crisis epoch. (A daemon checks the epoch before
   every send, so this bounds only when the daemons *say* they saw it; the heartbeat
   comes every 5 s.)

Prints one JSON document: posts/s for each run, Tactful ÷ baseline per K (min and
median over `--rounds`), and the acknowledgement times.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import yaml

from scheduler.models import NewPost
from scheduler.store import Change, Store

TACTFUL = str(Path(sys.executable).parent / "tactful")
ADMIN = "postgresql://postgres@127.0.0.1/postgres"


def fresh_database() -> str:
    name = f"tactful_scale_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return name


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def write_config(folder: Path, url: str) -> Path:
    data = {
        "database": url,
        "daemon": {"tick_seconds": 15, "poll_seconds": 0.2, "batch_size": 200},
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


def queue(url: str, n: int) -> None:
    store = Store.open(url)
    now = datetime.now(UTC)
    store.add_posts(
        [
            NewPost(brand="bench", channel="bench-outbox", text=f"post {i}", due_at=now, lang="en")
            for i in range(n)
        ],
        Change(actor="bench", now=now, action="create"),
    )
    store.close()


def lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def wait_lines(path: Path, n: int, timeout: float = 3600) -> None:
    deadline = time.monotonic() + timeout
    while lines(path) < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{lines(path)} of {n} lines after {timeout} s")
        time.sleep(0.05)


def run_tactful(n: int, daemons: int) -> dict:
    name = fresh_database()
    url = f"postgresql://postgres@127.0.0.1/{name}"
    try:
        with tempfile.TemporaryDirectory(prefix="tactful-scale-") as tmp:
            folder = Path(tmp)
            cfg = write_config(folder, url)
            queue(url, n)
            started = time.perf_counter()
            running = [
                subprocess.Popen(
                    [TACTFUL, "--config", str(cfg), "daemon"], stderr=subprocess.DEVNULL
                )
                for _ in range(daemons)
            ]
            wait_lines(folder / "outbox.jsonl", n)
            elapsed = time.perf_counter() - started
            ack = crisis_ack(cfg, url, daemons)
            for daemon in running:
                daemon.send_signal(signal.SIGTERM)
            for daemon in running:
                daemon.wait(60)
            return {
                "posts_per_s": round(n / elapsed),
                "seconds": round(elapsed, 2),
                "crisis_ack_seconds": ack,
            }
    finally:
        drop_database(name)


def crisis_ack(cfg: Path, url: str, daemons: int) -> float | None:
    """Seconds from `crisis on` returning until every daemon's heartbeat shows the new
    epoch."""
    flagged = subprocess.run(
        [
            TACTFUL,
            "--config",
            str(cfg),
            "crisis",
            "on",
            "Bench",
            "--category",
            "flood",
            "--severity",
            "watch",
            "--keyword",
            "bench-flood",
        ],
        capture_output=True,
        text=True,
    )
    if flagged.returncode != 0:
        return None
    returned = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        epoch = conn.execute("SELECT epoch FROM crisis_state WHERE id = 1").fetchone()[0]
        while time.perf_counter() - returned < 30:
            seen = conn.execute(
                "SELECT count(*) FROM daemons WHERE stopped_at IS NULL AND epoch_seen >= %s",
                (epoch,),
            ).fetchone()[0]
            if seen >= daemons:
                return round(time.perf_counter() - returned, 3)
            time.sleep(0.01)
    return None


def lean_worker(url: str, outbox: str, worker: str) -> None:
    """The baseline's loop: claim 200, write them out, record them; until none is left."""
    with psycopg.connect(url) as conn, open(outbox, "ab") as out:
        while True:
            with conn.transaction():
                rows = conn.execute(
                    "SELECT p.id, t.text FROM posts p JOIN post_texts t ON t.post_id = p.id "
                    "WHERE p.status IN ('failed', 'queued') AND p.run_at <= now() "
                    "ORDER BY p.run_at, p.id LIMIT 200 FOR UPDATE OF p SKIP LOCKED"
                ).fetchall()
                if not rows:
                    return
                ids = [r[0] for r in rows]
                conn.execute(
                    "UPDATE posts SET status = 'publishing', lease_owner = %s, "
                    "attempts = attempts + 1 WHERE id = ANY(%s)",
                    (worker, ids),
                )
                _audit(conn, ids, "queued", "publishing", worker)
            for pid, text in rows:
                out.write(json.dumps({"id": pid, "text": text}).encode() + b"\n")
            out.flush()
            os.fsync(out.fileno())
            with conn.transaction():
                conn.execute(
                    "UPDATE posts SET status = 'published', lease_owner = NULL, "
                    "published_at = now() WHERE id = ANY(%s)",
                    (ids,),
                )
                _audit(conn, ids, "publishing", "published", worker)


def _audit(conn: psycopg.Connection, ids: list[int], old: str, new: str, who: str) -> None:
    conn.execute(
        "INSERT INTO audit (at, post_id, actor, action, from_status, to_status) "
        "SELECT now(), unnest(%s::bigint[]), %s, 'status', %s, %s",
        (ids, who, old, new),
    )


def run_lean(n: int, workers: int) -> dict:
    name = fresh_database()
    url = f"postgresql://postgres@127.0.0.1/{name}"
    try:
        Store.open(url).close()  # the schema
        queue(url, n)
        with tempfile.TemporaryDirectory(prefix="tactful-scale-lean-") as tmp:
            outbox = str(Path(tmp) / "outbox.jsonl")
            started = time.perf_counter()
            procs = [
                multiprocessing.Process(target=lean_worker, args=(url, outbox, f"w{i}"))
                for i in range(workers)
            ]
            for proc in procs:
                proc.start()
            for proc in procs:
                proc.join()
            elapsed = time.perf_counter() - started
            assert lines(Path(outbox)) == n
        return {"posts_per_s": round(n / elapsed), "seconds": round(elapsed, 2)}
    finally:
        drop_database(name)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--daemons", default="1,2,4,8")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    counts = [int(k) for k in args.daemons.split(",")]
    runs: dict[int, dict[str, list]] = {k: {"tactful": [], "lean": []} for k in counts}
    for _ in range(args.rounds):
        for k in counts:  # alternate: drift on a shared machine hits both alike
            runs[k]["tactful"].append(run_tactful(args.posts, k))
            runs[k]["lean"].append(run_lean(args.posts, k))
    summary = {}
    for k, both in runs.items():
        tactful = [r["posts_per_s"] for r in both["tactful"]]
        lean = [r["posts_per_s"] for r in both["lean"]]
        summary[k] = {
            "tactful_posts_per_s": {
                "runs": tactful,
                "min": min(tactful),
                "median": statistics.median(tactful),
            },
            "lean_posts_per_s": {"runs": lean, "min": min(lean), "median": statistics.median(lean)},
            "tactful_over_lean_median": round(
                statistics.median(tactful) / statistics.median(lean), 3
            ),
            "crisis_ack_seconds": [r["crisis_ack_seconds"] for r in both["tactful"]],
        }
    print(
        json.dumps(
            {
                "date": datetime.now(UTC).strftime("%Y-%m-%d"),
                "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
                f"{platform.python_version()}",
                "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
                "posts": args.posts,
                "rounds": args.rounds,
                "daemons": summary,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
