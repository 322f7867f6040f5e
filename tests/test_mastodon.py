"""Mastodon: a real Mastodon API (mastodon-mock) served on loopback, real databases.

Each fault a network can throw at a send (5xx, no answer in time, the answer lost after
the status was made, rate limits, a refused token, a retry later than the server
remembers keys) must end with the post published once, or in a clear state with its
reason: never twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from mastodon import Mastodon

from scheduler.config import Config, load_config
from scheduler.dispatch import Dispatcher
from scheduler.models import NewPost, Status
from scheduler.publishers import PublisherPool
from scheduler.store import Change, Store
from tests.conftest import base_config, write_config
from tests.images import png, queue_with_image
from tests.netfaults import AnswerDroppingProxy

pytestmark = pytest.mark.acceptance

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
TOKEN = "alice_token"  # the mock's seeded account


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    from mastodon_mock.testing import MockServer

    with MockServer() as mock:
        yield mock.base_url


@pytest.fixture
def mastodon(server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The mock as a new instance: no statuses, no faults; the token in the environment."""
    httpx.delete(f"{server}/api/v1/_mock/faults").raise_for_status()
    httpx.post(f"{server}/api/v1/_mock/reset").raise_for_status()
    monkeypatch.setenv("STRIDE_MASTODON_TOKEN", TOKEN)
    return server


def fault(server: str, effect: dict, count: int = 1) -> None:
    rule = {
        "match": {"methods": ["POST"], "path": "/api/v1/statuses"},
        "effect": effect,
        "count": count,
    }
    httpx.post(f"{server}/api/v1/_mock/faults", json=rule).raise_for_status()


def statuses(server: str) -> list[dict]:
    api = Mastodon(access_token=TOKEN, api_base_url=server)
    me = api.account_verify_credentials()
    return list(api.account_statuses(me["id"], limit=40))


def masto_config(tmp_path: Path, instance: str, **channel) -> Config:
    data = base_config(max_attempts=4, backoff_base="1m", backoff_cap="10m")
    data["brands"][0]["channels"].append(
        {
            "id": "stride-masto",
            "kind": "mastodon",
            "instance": instance,
            "token_env": "STRIDE_MASTODON_TOKEN",
            "visibility": "unlisted",
            "timeout_seconds": 1,
            **channel,
        }
    )
    return load_config(write_config(tmp_path, data))


def queue(store: Store, *texts: str, lang: str | None = "en") -> list[int]:
    posts = [
        NewPost(brand="stride", channel="stride-masto", text=t, due_at=T0, lang=lang) for t in texts
    ]
    return store.add_posts(posts, Change(actor="tester", now=T0, action="create"))


def dispatcher(store: Store, config: Config, clock: Clock, worker: str = "w1") -> Dispatcher:
    return Dispatcher(store, config.daemon, PublisherPool(config), clock=clock, worker=worker)


def wait_for(predicate, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "the server never got there"
        time.sleep(0.05)


def test_a_post_goes_out_once_with_its_language_visibility_id_and_url(
    store: Store, mastodon: str, tmp_path: Path
):
    config = masto_config(tmp_path, mastodon, spoiler_text="Stride news")
    [pid] = queue(store, "Nové tenisky jsou tady", lang="cs-CZ")
    report = dispatcher(store, config, Clock(T0)).run_pass()
    assert report.published == [pid]
    [status] = statuses(mastodon)
    assert status["language"] == "cs" and status["visibility"] == "unlisted"
    assert status["spoiler_text"] == "Stride news"
    post = store.get_post(pid)
    assert post.status is Status.PUBLISHED and post.remote_id == str(status["id"])
    assert post.remote_url == status["url"] and post.remote_url


def test_every_try_carries_the_same_idempotency_key(store: Store, mastodon: str, tmp_path: Path):
    config = masto_config(tmp_path, mastodon)
    [pid] = queue(store, "Same post, twice")
    publisher = PublisherPool(config).get("stride-masto")
    first = publisher.publish(store.get_post(pid))
    second = publisher.publish(store.get_post(pid))
    assert first == second and len(statuses(mastodon)) == 1


def test_a_5xx_is_tried_again_later_and_the_post_goes_out_once(
    store: Store, mastodon: str, tmp_path: Path
):
    config = masto_config(tmp_path, mastodon)
    [pid] = queue(store, "Through a 503")
    fault(mastodon, {"type": "status", "status": 503})
    clock = Clock(T0)
    report = dispatcher(store, config, clock).run_pass()
    post = store.get_post(pid)
    assert report.failed == [pid] and post.status is Status.FAILED
    assert "503" in post.last_error
    assert T0 + timedelta(minutes=1) <= post.run_at <= T0 + timedelta(minutes=1.5)
    clock.now = T0 + timedelta(minutes=2)
    assert dispatcher(store, config, clock).run_pass().published == [pid]
    assert len(statuses(mastodon)) == 1


def test_a_server_too_slow_to_answer_is_tried_again_and_posts_once(
    store: Store, mastodon: str, tmp_path: Path
):
    config = masto_config(tmp_path, mastodon)
    [pid] = queue(store, "Slow server")
    fault(mastodon, {"type": "latency", "delay_ms": 2500})
    clock = Clock(T0)
    report = dispatcher(store, config, clock).run_pass()
    assert report.failed == [pid], report.events  # retried later: the key makes it safe
    assert "no answer in time" in store.get_post(pid).last_error
    clock.now = T0 + timedelta(minutes=2)
    assert dispatcher(store, config, clock).run_pass().published == [pid]
    assert len(statuses(mastodon)) == 1


def test_no_answer_in_time_after_the_server_took_it_still_one_status(
    store: Store, mastodon: str, tmp_path: Path
):
    with AnswerDroppingProxy(mastodon, drop=1, hold=2.0) as proxy:
        config = masto_config(tmp_path, proxy.url)
        [pid] = queue(store, "Taken, but the answer is late")
        clock = Clock(T0)
        report = dispatcher(store, config, clock).run_pass()
        assert report.failed == [pid], report.events
        assert "no answer in time" in store.get_post(pid).last_error
        wait_for(lambda: len(statuses(mastodon)) == 1)  # the server made it meanwhile
        clock.now = T0 + timedelta(minutes=2)
        assert dispatcher(store, config, clock).run_pass().published == [pid]
    assert len(statuses(mastodon)) == 1


def test_the_answer_lost_after_the_server_made_the_status_still_one_status(
    store: Store, mastodon: str, tmp_path: Path
):
    with AnswerDroppingProxy(mastodon, drop=1) as proxy:
        config = masto_config(tmp_path, proxy.url)
        [pid] = queue(store, "Lost answer")
        clock = Clock(T0)
        assert dispatcher(store, config, clock).run_pass().failed == [pid]
        assert len(statuses(mastodon)) == 1
        clock.now = T0 + timedelta(minutes=2)
        assert dispatcher(store, config, clock).run_pass().published == [pid]
    [status] = statuses(mastodon)
    assert store.get_post(pid).remote_id == str(status["id"]) and proxy.forwarded == 2


def test_a_rate_limit_rests_the_channel_and_uses_up_no_try(
    store: Store, mastodon: str, tmp_path: Path
):
    config = masto_config(tmp_path, mastodon)
    first, second = queue(store, "One", "Two")
    reset = int(time.time()) + 600
    fault(
        mastodon,
        {
            "type": "ratelimit",
            "status": 429,
            "headers": {"X-RateLimit-Reset": str(reset), "Retry-After": "600"},
        },
    )
    clock = Clock(T0)
    report = dispatcher(store, config, clock).run_pass()
    assert sorted(report.requeued) == [first, second] and not report.failed
    for pid in (first, second):
        post = store.get_post(pid)
        assert post.status is Status.QUEUED and post.attempts == 0
        assert post.run_at >= T0 + timedelta(seconds=590)
    assert statuses(mastodon) == []
    clock.now = T0 + timedelta(minutes=11)
    assert sorted(dispatcher(store, config, clock).run_pass().published) == [first, second]


def test_a_refused_token_holds_the_post_naming_the_variable_not_the_value(
    store: Store, mastodon: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("STRIDE_MASTODON_TOKEN", "not-a-token-anyone-issued")
    config = masto_config(tmp_path, mastodon)
    [pid] = queue(store, "Nobody let me in")
    report = dispatcher(store, config, Clock(T0)).run_pass()
    post = store.get_post(pid)
    assert report.held == [pid] and post.status is Status.HELD
    assert "STRIDE_MASTODON_TOKEN" in post.last_error and "401" in post.last_error
    assert "not-a-token" not in post.last_error and statuses(mastodon) == []


def test_a_retry_later_than_the_server_remembers_keys_is_not_sent(
    store: Store, mastodon: str, tmp_path: Path
):
    config = masto_config(tmp_path, mastodon)
    [pid] = queue(store, "Too late to be sure")
    fault(mastodon, {"type": "status", "status": 502}, count=5)
    clock = Clock(T0)
    for minutes in (0, 2, 5):  # backoff: 1, 2, 4 minutes
        clock.now = T0 + timedelta(minutes=minutes)
        dispatcher(store, config, clock).run_pass()
    assert store.get_post(pid).status is Status.FAILED
    httpx.delete(f"{mastodon}/api/v1/_mock/faults").raise_for_status()
    clock.now = T0 + timedelta(minutes=61)
    report = dispatcher(store, config, clock).run_pass()
    post = store.get_post(pid)
    assert report.unknown == [pid] and post.status is Status.UNKNOWN
    assert "forgets a post's idempotency key after 1 hour" in post.status_reason
    assert statuses(mastodon) == []


def test_a_daemon_killed_between_send_and_record_sends_once_on_restart(
    store: Store, mastodon: str, tmp_path: Path
):
    config = masto_config(
        tmp_path,
        mastodon,
    )
    [pid] = queue(store, "Crash after send")
    lease = timedelta(seconds=config.daemon.lease_seconds)
    claim = store.claim_due(
        now=T0,
        worker="doomed",
        lease=lease,
        limit=10,
        max_lateness=timedelta(hours=6),
        idempotent_channels={"stride-masto"},
    )
    started = store.mark_sending(pid, worker="doomed", now=T0)
    assert started is not None and started.first_try_at == T0
    PublisherPool(config).get("stride-masto").publish(claim.posts[0])
    # ... and the daemon dies here, before it records anything
    clock = Clock(T0 + lease + timedelta(seconds=1))
    report = dispatcher(store, config, clock, worker="next").run_pass()
    assert report.requeued == [pid] and report.published == [pid]
    [status] = statuses(mastodon)
    assert store.get_post(pid).remote_id == str(status["id"])


def test_a_daemon_killed_mid_send_long_ago_leaves_the_post_unknown(
    store: Store, mastodon: str, tmp_path: Path
):
    config = masto_config(tmp_path, mastodon)
    [pid] = queue(store, "Crash, then a long outage")
    store.claim_due(
        now=T0,
        worker="doomed",
        lease=timedelta(seconds=30),
        limit=10,
        max_lateness=timedelta(hours=6),
        idempotent_channels={"stride-masto"},
    )
    store.mark_sending(pid, worker="doomed", now=T0)
    clock = Clock(T0 + timedelta(hours=2))
    report = dispatcher(store, config, clock, worker="next").run_pass()
    assert report.unknown == [pid] and store.get_post(pid).status is Status.UNKNOWN
    assert statuses(mastodon) == []


def test_an_image_goes_up_with_its_alt_text(store: Store, mastodon: str, tmp_path: Path):
    config = masto_config(tmp_path, mastodon)
    pid = queue_with_image(
        store, "stride-masto", "Look", png(tmp_path / "shoe.png"), "A red trail shoe", T0
    )
    assert dispatcher(store, config, Clock(T0)).run_pass().published == [pid]
    [status] = statuses(mastodon)
    [attachment] = status["media_attachments"]
    assert attachment["description"] == "A red trail shoe"


def test_an_image_changed_since_it_was_queued_holds_the_post(
    store: Store, mastodon: str, tmp_path: Path
):
    config = masto_config(tmp_path, mastodon)
    image = png(tmp_path / "shoe.png")
    pid = queue_with_image(store, "stride-masto", "Look", image, "A shoe", T0)
    png(image, color=(0, 0, 0))  # someone saved another picture over it
    assert dispatcher(store, config, Clock(T0)).run_pass().held == [pid]
    assert "changed since the post was queued" in store.get_post(pid).last_error
    assert statuses(mastodon) == []


def test_a_daemon_process_killed_while_the_server_answers_posts_once_after_restart(
    mastodon: str, tmp_path: Path
):
    """A real `tactful daemon`, SIGKILLed after the server made the status but before the
    answer reached it; a new daemon recovers the post and re-sends it with the same key."""
    import json
    import signal
    import subprocess

    from tests.test_acceptance import TACTFUL, run

    with AnswerDroppingProxy(mastodon, drop=1, hold=60.0) as proxy:
        data = base_config(lease_seconds=3)
        data["brands"][0]["channels"].append(
            {
                "id": "stride-masto",
                "kind": "mastodon",
                "instance": proxy.url,
                "token_env": "STRIDE_MASTODON_TOKEN",
                "timeout_seconds": 30,
            }
        )
        config = write_config(tmp_path, data)
        assert (
            run(
                config, "post", "add", "Killed mid-send", "-c", "stride-masto", "--at", "now"
            ).returncode
            == 0
        )
        daemon = subprocess.Popen(
            [TACTFUL, "--config", str(config), "daemon"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(lambda: len(statuses(mastodon)) == 1, seconds=20)  # made; answer held
        finally:
            daemon.send_signal(signal.SIGKILL)
            daemon.wait()
        time.sleep(3.5)  # the dead daemon's lease runs out
        assert run(config, "daemon", "--once").returncode == 0
    shown = json.loads(run(config, "post", "show", "1", "--json").stdout)
    [status] = statuses(mastodon)
    assert shown["status"] == "published" and shown["remote_id"] == str(status["id"])
    actions = [e["action"] for e in shown["audit"]]
    assert "recover" in actions and actions[-1] == "publish"


def test_the_daemon_paces_a_channel_by_the_rate_limit_headers(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A server allowing 3 requests per window: 3 statuses go out, the other 2 wait for
    the reset without a request that would earn a 429, and without using up a try."""
    from mastodon_mock.config import DatabaseConfig, MastodonMockConfig, RateLimitConfig
    from mastodon_mock.testing import DEFAULT_TEST_SEED, MockServer

    monkeypatch.setenv("STRIDE_MASTODON_TOKEN", TOKEN)
    limited = MastodonMockConfig(
        database=DatabaseConfig(path=":memory:"),
        seed=DEFAULT_TEST_SEED,
        ratelimit=RateLimitConfig(enabled=True, limit=3, window_seconds=600),
    )
    with MockServer(config=limited) as mock:
        config = masto_config(tmp_path, mock.base_url)
        ids = queue(store, "One", "Two", "Three", "Four", "Five")
        report = dispatcher(store, config, Clock(T0)).run_pass()
        assert report.published == ids[:3] and sorted(report.requeued) == ids[3:]
        assert not report.failed
        for pid in ids[3:]:
            post = store.get_post(pid)
            assert post.status is Status.QUEUED and post.attempts == 0
            assert post.run_at > T0 + timedelta(seconds=500)
        # paced by the headers before sending: no 429 was needed to find out
        assert "no requests left until the reset" in store.get_post(ids[3]).status_reason
        assert store.get_post(ids[4]).status_reason == "stride-masto is rate limited"


def test_a_rate_limit_resetting_hours_later_does_not_make_the_post_unknown(
    store: Store, mastodon: str, tmp_path: Path
):
    """The 429 try never reached the network: Mastodon's hour starts at the next try."""
    config = masto_config(tmp_path, mastodon)
    [pid] = queue(store, "Three hours of quiet")
    reset = int(time.time()) + 3 * 3600
    fault(
        mastodon,
        {
            "type": "ratelimit",
            "status": 429,
            "headers": {"X-RateLimit-Reset": str(reset), "Retry-After": "10800"},
        },
    )
    clock = Clock(T0)
    assert dispatcher(store, config, clock).run_pass().requeued == [pid]
    assert store.get_post(pid).first_try_at is None
    clock.now = T0 + timedelta(hours=3, minutes=1)
    assert dispatcher(store, config, clock).run_pass().published == [pid]
    assert len(statuses(mastodon)) == 1


def test_out_of_tries_after_one_that_may_have_posted_is_unknown_not_dead(
    store: Store, mastodon: str, tmp_path: Path
):
    def config_for(instance: str) -> Config:
        data = base_config(max_attempts=2, backoff_base="1m", backoff_cap="10m")
        data["brands"][0]["channels"].append(
            {
                "id": "stride-masto",
                "kind": "mastodon",
                "instance": instance,
                "token_env": "STRIDE_MASTODON_TOKEN",
                "timeout_seconds": 1,
            }
        )
        return load_config(write_config(tmp_path, data))

    with AnswerDroppingProxy(mastodon, drop=1) as proxy:
        [pid] = queue(store, "Made, then unreachable")
        clock = Clock(T0)
        assert dispatcher(store, config_for(proxy.url), clock).run_pass().failed == [pid]
    clock.now = T0 + timedelta(minutes=2)  # now nothing listens there: connection refused
    report = dispatcher(store, config_for("http://127.0.0.1:9"), clock).run_pass()
    assert report.unknown == [pid], report.events
    assert store.get_post(pid).status is Status.UNKNOWN and len(statuses(mastodon)) == 1


def test_a_token_pasted_with_its_newline_still_works(
    store: Store, mastodon: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("STRIDE_MASTODON_TOKEN", TOKEN + "\r\n")
    config = masto_config(tmp_path, mastodon)
    [pid] = queue(store, "Copied from a file")
    assert dispatcher(store, config, Clock(T0)).run_pass().published == [pid]
