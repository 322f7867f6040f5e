"""The daemon stops within its --grace on SIGTERM and SIGINT, even while a send hangs,
on both databases: what is in hand is left to lease recovery, never to a frozen process."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from scheduler.loopback import WebhookReceiver
from tests.conftest import base_config, write_config
from tests.test_acceptance import queue_now, start

pytestmark = pytest.mark.acceptance


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_daemon_exits_within_its_grace_while_a_send_hangs(
    db_url: str, tmp_path: Path, signum: int
):
    with WebhookReceiver() as receiver:
        data = base_config(webhook_url=receiver.url + "/hook", poll_seconds=0.1, tick_seconds=0.5)
        data["brands"][0]["channels"][1]["timeout_seconds"] = 120
        config = write_config(tmp_path, data, database=db_url)
        queue_now(
            db_url,
            [("stride-hook", f"h{i}") for i in range(3)]
            + [("stride-outbox", f"o{i}") for i in range(50)],
        )
        receiver.stall.set()  # the receiver takes the request and never answers
        daemon = start(config, "daemon", "--grace", "2")
        try:
            assert receiver.arrived.wait(60), "the daemon never sent"
            time.sleep(0.5)  # let the poll job run meanwhile
            sent_at = time.monotonic()
            daemon.send_signal(signum)
            _, err = daemon.communicate(timeout=30)
            took = time.monotonic() - sent_at
        finally:
            receiver.stall.clear()
            if daemon.poll() is None:
                daemon.kill()
    assert daemon.returncode == 0, err
    assert 1.5 <= took < 8, f"stopped after {took:.1f}s with a 2s grace"
    assert "still in progress after 2s" in err
