"""Feed benchmark: from an alert appearing in a feed to its suggestion and its
notification, through a real daemon.

Run by hand (not part of the tests):

    .venv/bin/python bench/feeds.py                      # 5 alerts, a feed polled every 10s
    .venv/bin/python bench/feeds.py --alerts 3 --every 30 --posts 2000

A feed server and a webhook receiver run on 127.0.0.1 in this process; `tactful daemon`
runs as a subprocess on a fresh SQLite database with one feed (`every` seconds) and one
notify target, and `--posts` queued posts for the brand the alerts reach (the preview
judges them). The alerts are published one at a time, at a random moment of the poll
cycle; what is timed is from publishing an alert to (a) its suggestion in the database
and (b) its message arriving at the receiver. The goal: both under one poll interval
plus 5 s. Also: from the poll's request reaching the feed server to the suggestion
(the work of one poll: reading, placing, the preview, storing). Prints one JSON
document: each alert's times, and min / median / max.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from scheduler.loopback import FeedServer, WebhookReceiver

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "feeds" / "cap_flood_polygon.xml"
TACTFUL = str(Path(sys.executable).parent / "tactful")
HOOK_ENV = "BENCH_FEEDS_HOOK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=5)
    parser.add_argument("--every", type=float, default=10.0, help="the feed's poll interval (s)")
    parser.add_argument("--posts", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FeedServer() as feeds, WebhookReceiver() as hook:
        folder = Path(tmp)
        config = _config(folder, feeds.url("alerts.xml"), args.every)
        env = {**os.environ, HOOK_ENV: hook.url + "/hook"}
        _queue(config, args.posts, env)
        feeds.publish("alerts.xml", "<rss version='2.0'><channel></channel></rss>", "text/xml")
        daemon = subprocess.Popen(
            [TACTFUL, "--config", str(config), "daemon"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            time.sleep(3 + args.every)  # started, first (empty) poll done
            runs = [_one(folder, feeds, hook, n, args.every) for n in range(1, args.alerts + 1)]
        finally:
            daemon.terminate()
            daemon.wait(30)
    report = {
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cpu(s)",
        "python": platform.python_version(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "every_seconds": args.every,
        "posts": args.posts,
        "runs": runs,
    }
    for key in ("suggestion_s", "notification_s", "fetch_to_suggestion_s"):
        values = [r[key] for r in runs if r[key] is not None]
        report[key] = {
            "min": min(values, default=None),
            "median": statistics.median(values) if values else None,
            "max": max(values, default=None),
            "goal": args.every + 5,
        }
    print(json.dumps(report, indent=2))


def _config(folder: Path, url: str, every: float) -> Path:
    data = {
        "timezone": "UTC",
        "database": str(folder / "bench.db"),
        "daemon": {"tick_seconds": 15, "notify_seconds": 15},
        "brands": [
            {
                "id": "stride",
                "regions": ["us-ma"],
                "languages": ["en"],
                "channels": [{"id": "stride-outbox", "kind": "outbox", "path": "out.jsonl"}],
            }
        ],
        "feeds": [{"id": "nws", "url": url, "format": "cap", "every": f"{every:g}s"}],
        "notify": [{"name": "team", "webhook_env": HOOK_ENV, "events": ["suggestion"]}],
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _queue(config: Path, posts: int, env: dict[str, str]) -> None:
    rows = ["channel,at,text,tags"]
    start = datetime.now(UTC) + timedelta(days=2)
    for i in range(posts):
        at = (start + timedelta(minutes=i)).isoformat()
        tag = "promo" if i % 3 == 0 else "evergreen"
        rows.append(f"stride-outbox,{at},Post {i}: rain jackets for Suffolk County runs,{tag}")
    csv = config.parent / "posts.csv"
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    subprocess.run(
        [TACTFUL, "--config", str(config), "post", "import", str(csv)],
        env=env,
        check=True,
        capture_output=True,
    )


def _one(folder: Path, feeds: FeedServer, hook: WebhookReceiver, n: int, every: float) -> dict:
    time.sleep(random.uniform(0, every))  # a random moment of the poll cycle
    body = _fresh(SAMPLE.read_text(encoding="utf-8")).replace(
        "NWS-BOX-2024-FLW-0007", f"BENCH-{n}-{random.getrandbits(32)}"
    )
    before = len(hook.delivered())
    feeds.publish("alerts.xml", body, "application/cap+xml")
    published = time.monotonic()
    asked = len(feeds.times)
    suggested = told = None
    deadline = published + every + 30
    while time.monotonic() < deadline and (suggested is None or told is None):
        if suggested is None and _suggestions(folder) >= n:
            suggested = time.monotonic() - published
        if told is None and len(hook.delivered()) > before:
            told = time.monotonic() - published
        time.sleep(0.05)
    # the poll that fetched it: the first request after publishing that got the body
    # (the server may be appending to both lists as they are read: not strict)
    answered = zip(feeds.requests[asked:], feeds.times[asked:], strict=False)
    fetched = next((t for (_, code), t in answered if code == 200), None)
    work = None if fetched is None or suggested is None else published + suggested - fetched
    return {
        "alert": n,
        "suggestion_s": _round(suggested),
        "notification_s": _round(told),
        "fetch_to_suggestion_s": _round(work),
    }


def _fresh(body: str) -> str:
    """The sample with an expiry tomorrow (an expired alert raises nothing)."""
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0).isoformat()
    return re.sub(r"<expires>[^<]*</expires>", f"<expires>{tomorrow}</expires>", body)


def _suggestions(folder: Path) -> int:
    with sqlite3.connect(folder / "bench.db", timeout=5) as db:
        return db.execute("SELECT count(*) FROM suggestions").fetchone()[0]


def _round(value: float | None) -> Any:
    return None if value is None else round(value, 2)


if __name__ == "__main__":
    main()
