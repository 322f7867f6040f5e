"""Notifications: a real webhook receiver and a real SMTP server on loopback, real SQLite
and PostgreSQL, and the CLI a user runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from scheduler.config import load_config
from scheduler.loopback import WebhookReceiver
from scheduler.models import NewPost
from scheduler.notify import Notifier
from scheduler.notify.messages import settled
from scheduler.store import Change, Store
from tests.conftest import BOSTON, Cli, base_config, write_config
from tests.test_email import Inbox, free_port

pytestmark = pytest.mark.acceptance

HOOK_ENV = "TACTFUL_TEST_SLACK_WEBHOOK"
#: the part of the webhook URL that is the credential: it must never be shown
SECRET_PATH = "/services/T0TACTFUL/B0SECRET/xoxSecretPathValue42"
TACTFUL = str(Path(sys.executable).parent / "tactful")


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def notify_config(
    folder: Path, targets: list[dict], database: str | None = None, **extra: Any
) -> Path:
    data = base_config(**extra)
    data["notify"] = targets
    return write_config(folder, data, database)


def hook_target(**kw: Any) -> dict:
    return {"name": "team-slack", "webhook_env": HOOK_ENV, **kw}


@pytest.fixture
def hooked(
    tmp_path: Path, db_url: str, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> Cli:
    """A scratch config on SQLite or PostgreSQL whose one target is the receiver."""
    monkeypatch.setenv(HOOK_ENV, receiver.url + SECRET_PATH)
    return Cli(notify_config(tmp_path, [hook_target()], db_url))


def add(cli: Cli, text: str, *extra: str, at: str = "+2h", channel: str = "stride-outbox") -> int:
    result = cli("post", "add", text, "-c", channel, "--at", at, *extra)
    assert result.exit_code == 0, result.output
    return int(result.stdout)


def texts(receiver: WebhookReceiver) -> list[str]:
    return [r.json["text"] for r in receiver.delivered()]


def passes(cli: Cli, done: Callable[[], bool]) -> int:
    """Run `tactful daemon --once` until `done()`; how many runs it took. On SQLite the
    first must do. On PostgreSQL a pass reads only what transactions older than every
    one still running wrote, and other test runs write on the same server: a few runs
    (as cron would make) may be needed. Late, never lost, never twice."""
    tries = 40 if load_config(cli.config).database_url.startswith("postgresql") else 1
    for run in range(1, tries + 1):
        result = cli("daemon", "--once")
        assert result.exit_code == 0, result.output
        if done():
            return run
        time.sleep(0.25)
    raise AssertionError(f"not done after {tries} pass(es)")


def test_a_flagged_crisis_is_told_once_with_what_it_did(hooked: Cli, receiver: WebhookReceiver):
    promo = add(hooked, "Killer deal: 30% off race-day singlets!", "--tag", "promo")
    add(hooked, "What's your favourite long run?", "--tag", "conversation-starter", "--automated")
    add(hooked, "Trail report: the river path is muddy today")
    assert hooked("crisis", "on", *BOSTON).exit_code == 0

    passes(hooked, lambda: len(receiver.delivered()) >= 1)
    [text] = texts(receiver)
    assert text.startswith("Crisis flagged: Boston Marathon bombing (crisis 1)")
    assert "Judged 3 queued post(s): 1 paused, 1 held, 1 untouched." in text
    assert f"#{promo} on stride-outbox: hold: sensitive-words (Killer)" in text
    assert receiver.delivered()[0].path == SECRET_PATH

    assert hooked("daemon", "--once").exit_code == 0
    assert len(receiver.delivered()) == 1  # told once, not at every pass

    assert hooked("crisis", "off").exit_code == 0
    passes(hooked, lambda: len(receiver.delivered()) >= 2)
    assert len(receiver.delivered()) == 2
    assert texts(receiver)[1].startswith("Crisis ended: Boston Marathon bombing")


def test_a_receiver_that_is_down_holds_no_post_up_and_hears_later(
    hooked: Cli, receiver: WebhookReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    receiver.failures = [503]
    assert hooked("crisis", "on", *BOSTON).exit_code == 0
    due = add(hooked, "Trail report: the river path is muddy today", at="now")

    result = hooked("daemon", "--once", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["published"] == 1
    outbox = (tmp_path / "outbox" / "stride.jsonl").read_text()
    assert [json.loads(line)["id"] for line in outbox.splitlines()] == [due]

    def status() -> dict:
        [row] = json.loads(hooked("notify", "status", "--json").stdout)
        return row

    passes(hooked, lambda: status()["failures"] == 1)
    assert receiver.delivered() == []
    row = status()
    assert "answered HTTP 503" in row["last_error"] and SECRET_PATH not in row["last_error"]
    assert row["behind"] > 0
    assert datetime.fromisoformat(row["next_at"]) > datetime.now(UTC)  # it backs off:
    assert hooked("daemon", "--once").exit_code == 0  # the next pass leaves it alone
    assert receiver.delivered() == [] and status()["failures"] == 1

    import scheduler.notify

    monkeypatch.setattr(scheduler.notify, "BACKOFF_BASE", timedelta(0))
    _due_now(hooked)
    passes(hooked, lambda: len(receiver.delivered()) == 1)
    [text] = texts(receiver)
    assert text.startswith("Crisis flagged: Boston Marathon bombing")
    row = status()
    assert (row["failures"], row["last_error"], row["behind"]) == (0, None, 0)


def _due_now(cli: Cli) -> None:
    """End a target's backoff wait as if it had passed."""
    store = Store.open(load_config(cli.config).database_url)
    try:
        with store.write() as conn:
            conn.exec_driver_sql("UPDATE notify_cursors SET next_at = NULL")
    finally:
        store.close()


def test_a_held_batch_lists_ten_posts_and_counts_the_rest(
    hooked: Cli, receiver: WebhookReceiver, tmp_path: Path
):
    assert hooked("crisis", "on", *BOSTON).exit_code == 0
    passes(hooked, lambda: len(receiver.delivered()) == 1)
    rows = "".join(f"stride-outbox,+{i + 3}h,Marathon killer deal number {i}\n" for i in range(13))
    (tmp_path / "posts.csv").write_text("channel,at,text\n" + rows)
    assert hooked("post", "import", str(tmp_path / "posts.csv")).exit_code == 0

    passes(hooked, lambda: len(receiver.delivered()) == 2)
    [_, text] = texts(receiver)
    assert text.startswith("13 post(s) held for review by tester")
    assert text.count("\n  - #") == 10 and "  - and 3 more" in text
    assert "sensitive-words" in text


def test_a_dead_post_is_told_only_to_the_targets_of_its_brand(
    tmp_path: Path, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
):
    """The stride-hook channel's receiver refuses every post for good; two targets, one
    for each brand."""
    channel = WebhookReceiver(failures=[503] * 5).start()
    try:
        monkeypatch.setenv(HOOK_ENV, receiver.url + SECRET_PATH)
        other = WebhookReceiver().start()
        monkeypatch.setenv("KVASEK_HOOK", other.url + "/kvasek")
        data = base_config(webhook_url=channel.url + "/posts", max_attempts=1)
        data["notify"] = [
            hook_target(brands=["stride"], events=["dead"]),
            {"name": "kvasek-only", "webhook_env": "KVASEK_HOOK", "brands": ["kvasek"]},
        ]
        cli = Cli(write_config(tmp_path, data))
        doomed = add(cli, "Our new trail shoe", at="now", channel="stride-hook")
        assert cli("daemon", "--once").exit_code == 0
        [text] = texts(receiver)
        assert text.startswith("1 post(s) gave up after failing:")
        assert f"#{doomed} on stride-hook: attempt 1 failed" in text
        assert "tactful post retry ID" in text
        assert other.delivered() == []
        other.stop()
    finally:
        channel.stop()


def test_a_new_target_starts_at_the_end_of_the_log(
    tmp_path: Path, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
):
    before = Cli(write_config(tmp_path, base_config()))
    add(before, "Killer deal: 30% off race-day singlets!", "--tag", "promo")
    assert before("crisis", "on", *BOSTON).exit_code == 0
    monkeypatch.setenv(HOOK_ENV, receiver.url + SECRET_PATH)
    after = Cli(notify_config(tmp_path, [hook_target()]))
    assert after("daemon", "--once").exit_code == 0
    assert receiver.delivered() == []  # no flood of history
    assert after("crisis", "off").exit_code == 0
    assert after("daemon", "--once").exit_code == 0
    assert texts(receiver)[0].startswith("Crisis ended")


def _flag_in_store(db_url: str, now: datetime, *, judged: bool) -> None:
    """A crisis toggle's line, with or without the line its judging writes when done."""
    store = Store.open(db_url)
    change = Change(
        actor="alice",
        now=now,
        action="crisis-on",
        reason=None,
        detail={
            "crisis": 7,
            "name": "Flood in Brno",
            "category": "flood",
            "severity": "serious",
            "ops": "normal",
        },
    )
    store.note(change)
    if judged:
        store.note(
            Change(
                actor="alice",
                now=now,
                action="crisis-judged",
                detail={"crisis": 7, "by_brand": {"kvasek": {"paused": 2}}},
            )
        )
    store.close()


def _notifier(
    db_url: str, tmp_path: Path, targets: list[dict], worker: str = "w1", **extra: Any
) -> Notifier:
    config = load_config(notify_config(tmp_path, targets, **extra))
    return Notifier(Store.open(db_url), config, worker=worker)


def _close(notifier: Notifier) -> None:
    notifier.close()
    notifier.store.close()


def test_a_toggle_still_judging_is_told_when_done_or_after_a_wait(
    db_url: str, tmp_path: Path, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(HOOK_ENV, receiver.url + SECRET_PATH)
    notifier = _notifier(db_url, tmp_path, [hook_target()])
    now = datetime.now(UTC)
    try:
        notifier.start(now)
        _flag_in_store(db_url, now, judged=False)
        [outcome] = notifier.run_pass(now + timedelta(seconds=30))
        assert (outcome.sent, outcome.error) == (0, None) and receiver.delivered() == []
        [outcome] = notifier.run_pass(now + timedelta(minutes=3))
        [text] = texts(receiver)
        assert text.startswith("Crisis flagged: Flood in Brno (crisis 7) by alice")
        assert "still being judged" in text
    finally:
        _close(notifier)


def test_the_digest_collects_the_day_and_sends_once_at_its_time(
    db_url: str, tmp_path: Path, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(HOOK_ENV, receiver.url + SECRET_PATH)
    notifier = _notifier(db_url, tmp_path, [hook_target(digest="daily 08:00")])
    config_zone = "UTC"
    now = datetime.now(UTC)
    try:
        notifier.start(now)
        [cursor] = notifier.store.notify_cursors().values()
        due = cursor.next_at
        assert due is not None and due > now and due.strftime("%H:%M") == "08:00", config_zone
        _flag_in_store(db_url, now, judged=True)
        store = notifier.store
        [pid] = store.add_posts(
            [NewPost(brand="kvasek", channel="kvasek-outbox", text="Chléb", due_at=now)],
            Change(actor="t", now=now, action="create"),
        )
        with store.write() as conn:
            from scheduler.models import Status
            from scheduler.store.transitions import move

            move(
                conn,
                [pid],
                allowed_from={Status.QUEUED},
                to=Status.DEAD,
                change=Change(actor="w", now=now, action="fail", reason="gone"),
            )
        assert notifier.run_pass(due - timedelta(minutes=1))[0].skipped
        assert receiver.delivered() == []
        [outcome] = notifier.run_pass(due + timedelta(minutes=1))
        assert outcome.sent == 1
        [text] = texts(receiver)
        assert text.startswith("Tactful digest")
        assert "Crisis flagged: Flood in Brno" in text and f"#{pid} on kvasek-outbox" in text
        assert notifier.run_pass(due + timedelta(minutes=2))[0].skipped
        [cursor] = store.notify_cursors().values()
        assert cursor.next_at == due + timedelta(days=1)
    finally:
        _close(notifier)


def test_two_daemons_at_once_send_each_message_once(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Two notifiers with their own connections start together; the receiver is slow, so
    the second runs while the first sends."""
    with WebhookReceiver(delay=0.5) as slow:
        monkeypatch.setenv(HOOK_ENV, slow.url + SECRET_PATH)
        first = _notifier(db_url, tmp_path, [hook_target()], worker="w1")
        second = _notifier(db_url, tmp_path, [hook_target()], worker="w2")
        now = datetime.now(UTC)
        try:
            first.start(now)
            _flag_in_store(db_url, now, judged=True)
            together = threading.Barrier(2)
            outcomes: list[Any] = []

            def run(notifier: Notifier) -> None:
                together.wait()
                outcomes.extend(notifier.run_pass(datetime.now(UTC)))

            threads = [threading.Thread(target=run, args=(n,)) for n in (first, second)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            assert sorted(o.sent for o in outcomes) == [0, 1]
            assert len(slow.delivered()) == 1
            for notifier in (first, second):  # and later passes send nothing more
                notifier.run_pass(datetime.now(UTC))
            assert len(slow.received) == 1
        finally:
            _close(first)
            _close(second)


def test_a_long_transaction_on_postgresql_loses_no_line(
    pg_url: str, tmp_path: Path, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
):
    """A toggle writes its line (a low audit id) and stays open; a later change commits a
    higher id first. A place kept as an audit id would skip the toggle's line for good."""
    monkeypatch.setenv(HOOK_ENV, receiver.url + SECRET_PATH)
    notifier = _notifier(pg_url, tmp_path, [hook_target()])
    writer = Store.open(pg_url)
    now = datetime.now(UTC)
    try:
        notifier.start(now)
        from scheduler.store.transitions import write_audit

        with writer.write() as slow:
            write_audit(
                slow,
                [(None, None, None)],
                Change(
                    actor="alice",
                    now=now,
                    action="crisis-on",
                    detail={"crisis": 7, "name": "Flood in Brno"},
                ),
            )
            write_audit(
                slow,
                [(None, None, None)],
                Change(actor="alice", now=now, action="crisis-judged", detail={"crisis": 7}),
            )
            with writer.write() as quick:  # a second connection: commits first
                write_audit(
                    quick,
                    [(99, "publishing", "dead")],
                    Change(actor="w", now=now, action="fail", reason="gone"),
                )
            notifier.run_pass(now)
            assert receiver.delivered() == []  # waits for the open transaction
        notifier.run_pass(now)
        sent = texts(receiver)
        assert len(sent) == 2
        assert any(t.startswith("Crisis flagged: Flood in Brno") for t in sent)
        assert any(t.startswith("1 post(s) gave up") for t in sent)
    finally:
        writer.close()
        _close(notifier)


def test_an_email_target_gets_the_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        cli = Cli(
            notify_config(
                tmp_path,
                [
                    {
                        "name": "ops-mail",
                        "email": {
                            "host": "127.0.0.1",
                            "port": port,
                            "tls": "none",
                            "from": "tactful@example.com",
                            "to": ["ops@example.com"],
                        },
                    }
                ],
            )
        )
        add(cli, "Killer deal: 30% off race-day singlets!", "--tag", "promo")
        assert cli("crisis", "on", *BOSTON).exit_code == 0
        assert cli("daemon", "--once").exit_code == 0
        [mail] = inbox.messages
        assert mail["Subject"] == "[Tactful] Crisis flagged: Boston Marathon bombing"
        assert mail["To"] == "ops@example.com"
        assert "Judged 1 queued post(s): 1 held." in mail.get_content()
        assert cli("notify", "test").stdout == "ops-mail: ok (email)\n"
        assert "Tactful test message" in inbox.messages[1].get_content()
    finally:
        controller.stop()


def test_notify_test_says_which_target_took_it(
    tmp_path: Path, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(HOOK_ENV, receiver.url + SECRET_PATH)
    monkeypatch.setenv("DOWN_HOOK", f"http://127.0.0.1:{free_port()}{SECRET_PATH}")
    cli = Cli(
        notify_config(tmp_path, [hook_target(), {"name": "down", "webhook_env": "DOWN_HOOK"}])
    )
    result = cli("notify", "test")
    assert result.exit_code == 4
    assert result.stdout.splitlines()[0] == "team-slack: ok (webhook)"
    assert result.stdout.splitlines()[1].startswith(
        "down: failed: cannot reach the webhook in DOWN_HOOK: ConnectError"
    )
    assert "1 of 2 target(s) did not take the test message: down" in result.stderr
    assert SECRET_PATH not in result.output
    assert "Tactful test message for notification target team-slack" in texts(receiver)[0]
    assert cli("notify", "test", "team-slack").exit_code == 0
    unknown = cli("notify", "test", "team-slak")
    assert unknown.exit_code == 2
    assert (
        "unknown notification target 'team-slak'; known targets: team-slack, down" in unknown.stderr
    )


def test_the_webhook_url_never_shows_in_output_or_logs(tmp_path: Path):
    """The real `tactful`, in subprocesses, with -vv: a refused connection, then an
    error answer, and `notify status`."""
    url = f"http://127.0.0.1:{free_port()}{SECRET_PATH}"
    env = {**os.environ, HOOK_ENV: url}
    config = notify_config(tmp_path, [hook_target()])

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [TACTFUL, "-vv", "--config", str(config), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    seen = [
        run("crisis", "on", *BOSTON),
        run("daemon", "--once"),
        run("notify", "status"),
        run("notify", "status", "--json"),
        run("notify", "test"),
        run("config", "check"),
    ]
    assert seen[1].returncode == 0 and "cannot reach the webhook in" in seen[1].stderr
    assert seen[4].returncode == 4
    with WebhookReceiver(failures=[500]) as failing:
        env[HOOK_ENV] = failing.url + SECRET_PATH
        _due_now(Cli(config))
        seen.append(run("daemon", "--once"))
        assert "answered HTTP 500" in seen[-1].stderr
    for done in seen:
        assert SECRET_PATH not in done.stdout + done.stderr, done.args
        assert "xoxSecret" not in done.stdout + done.stderr, done.args
    database = (tmp_path / "tactful.db").read_bytes()
    assert b"xoxSecret" not in database


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            {"name": "a", "webhook_env": HOOK_ENV, "events": ["crisis", "blockd"]},
            r"config.yaml:\d+: notify\[0\].events\[1\]: 'blockd' is not an event Tactful "
            "notifies of; use crisis, suggestion, held, blocked, dead, unknown",
        ),
        (
            {"name": "a", "webhok_env": HOOK_ENV},
            r"config.yaml:\d+: notify\[0\].webhok_env: unknown key; did you mean 'webhook_env'\?",
        ),
        (
            {"name": "a", "webhook_env": "NOT_SET_ANYWHERE"},
            r"config.yaml:\d+: notify\[0\].webhook_env: NOT_SET_ANYWHERE is not set: export "
            r"NOT_SET_ANYWHERE=\.\.\.",
        ),
        (
            {"name": "a", "webhook_env": HOOK_ENV, "brands": ["strid"]},
            r"config.yaml:\d+: notify\[0\].brands\[0\]: unknown brand 'strid'; known brands: "
            "stride, kvasek",
        ),
        (
            {"name": "a", "webhook_env": HOOK_ENV, "digest": "8am"},
            r"config.yaml:\d+: notify\[0\].digest: '8am' is not a digest time; write daily HH:MM",
        ),
        ({"name": "a"}, r"notify\[0\]: give either webhook_env"),
        (
            {
                "name": "a",
                "email": {
                    "host": "h",
                    "from": "a@b.c",
                    "to": ["d@e.f"],
                    "username_env": "NOT_SET_USER",
                    "password_env": HOOK_ENV,
                },
            },
            r"config.yaml:\d+: notify\[0\].email.username_env: NOT_SET_USER is not set",
        ),
    ],
)
def test_config_check_refuses_a_broken_notify_section(
    tmp_path: Path, target: dict, expected: str, monkeypatch: pytest.MonkeyPatch
):
    import re

    monkeypatch.setenv(HOOK_ENV, "http://127.0.0.1:9/hook")
    result = Cli(notify_config(tmp_path, [target]))("config", "check")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert re.search(expected, result.stderr), result.stderr


def test_config_check_says_what_each_target_hears(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(HOOK_ENV, "http://127.0.0.1:9/hook")
    cli = Cli(
        notify_config(
            tmp_path, [hook_target(events=["crisis"], brands=["stride"], digest="daily 07:30")]
        )
    )
    result = cli("config", "check")
    assert result.exit_code == 0, result.output
    assert (
        "  notify team-slack: webhook, crisis, brands stride, daily digest at 07:30"
        in result.stdout
    )


def test_settled_waits_only_for_a_toggle_still_judging():
    from scheduler.store.notify import Line

    t0 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)

    def line(pos: int, action: str) -> Line:
        return Line(
            id=pos,
            position=pos,
            at=t0,
            actor="a",
            action=action,
            post_id=None,
            from_status=None,
            to_status=None,
            reason=None,
            detail={"crisis": 1},
            brand=None,
            channel=None,
        )

    wait = timedelta(minutes=2)
    assert settled([line(5, "crisis-on")], 9, t0 + timedelta(seconds=5), wait) == 5
    assert settled([line(5, "crisis-on"), line(8, "crisis-judged")], 9, t0, wait) == 9
    assert settled([line(5, "crisis-on")], 9, t0 + timedelta(minutes=3), wait) == 9
