"""Bluesky: a real PLC directory and PDS (npm @atproto/pds) on loopback, no AppView.

The record key is chosen and stored before the first try, so whatever happens to an
answer (lost, late, the daemon killed before recording) a retry writes the same record:
one post, never two. Facets are checked against the record the server stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.config import Config, load_config
from scheduler.dispatch import Dispatcher
from scheduler.models import NewPost, Status
from scheduler.publishers import PublisherPool
from scheduler.publishers.bluesky import new_tid
from scheduler.store import Change, Store
from tests.conftest import IN_CI, base_config, write_config
from tests.images import png, queue_with_image
from tests.local_pds import Account, LocalNetwork, NotInstalled, local_network
from tests.netfaults import AnswerDroppingProxy, http_answer

pytestmark = pytest.mark.acceptance

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
CREATE = "/xrpc/com.atproto.repo.createRecord"


@pytest.fixture(scope="module")
def network() -> Iterator[LocalNetwork]:
    try:
        with local_network() as running:
            yield running
    except NotInstalled as exc:
        if IN_CI:
            pytest.fail(f"the local PDS is required under CI=true: {exc}")
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def accounts(network: LocalNetwork) -> dict[str, Account]:
    return {name: network.create_account(f"{name}.test") for name in ("stride", "kvasek")}


@pytest.fixture
def stride(accounts: dict[str, Account], monkeypatch: pytest.MonkeyPatch) -> Account:
    monkeypatch.setenv("STRIDE_BSKY_PASSWORD", accounts["stride"].app_password)
    return accounts["stride"]


def sky_config(tmp_path: Path, service: str, **channel) -> Config:
    data = base_config(max_attempts=4, backoff_base="1m", backoff_cap="10m")
    data["brands"][0]["channels"].append(
        {
            "id": "stride-sky",
            "kind": "bluesky",
            "service": service,
            "handle": "stride.test",
            "password_env": "STRIDE_BSKY_PASSWORD",
            "timeout_seconds": 2,
            **channel,
        }
    )
    return load_config(write_config(tmp_path, data))


def queue(store: Store, text: str, lang: str | None = "en") -> int:
    [pid] = store.add_posts(
        [NewPost(brand="stride", channel="stride-sky", text=text, due_at=T0, lang=lang)],
        Change(actor="tester", now=T0, action="create"),
    )
    return pid


def run(store: Store, config: Config, now: datetime = T0, worker: str = "w1"):
    pool = PublisherPool(config)
    try:
        return Dispatcher(store, config.daemon, pool, clock=lambda: now, worker=worker).run_pass()
    finally:
        pool.close()


def unique(text: str) -> str:
    """The text with a mark of its own: the PDS outlives one test and sees both databases."""
    return f"{text} ({uuid.uuid4().hex[:8]})"


def mine(network: LocalNetwork, account: Account, text: str) -> list[dict]:
    return [r for r in network.posts(account.did) if r["value"]["text"] == text]


def test_record_keys_are_tids_in_time_order():
    first, second = new_tid(1_700_000_000_000_000, 5), new_tid(1_700_000_000_000_001, 5)
    assert len(first) == 13 and first < second
    assert set(first) <= set("234567abcdefghijklmnopqrstuvwxyz")


def test_a_post_goes_out_once_under_the_key_kept_before_the_first_try(
    store: Store, network: LocalNetwork, stride: Account, tmp_path: Path
):
    config = sky_config(tmp_path, network.pds)
    pid = queue(store, "Fresh trail shoes are in", lang="en")
    assert run(store, config).published == [pid]
    post = store.get_post(pid)
    assert post.status is Status.PUBLISHED and post.remote_key
    assert post.remote_id == f"at://{stride.did}/app.bsky.feed.post/{post.remote_key}"
    assert post.remote_url == f"https://bsky.app/profile/stride.test/post/{post.remote_key}"
    stored = network.record(stride.did, post.remote_key)
    assert stored["text"] == "Fresh trail shoes are in" and stored["langs"] == ["en"]


@pytest.mark.parametrize(
    ("lang", "text", "link", "tag"),
    [
        (
            "ar",
            "تخفيضات الشتاء 🧥 مع @kvasek.test في #بوسطن https://stride.example/ar",
            "https://stride.example/ar",
            "#بوسطن",
        ),
        (
            "ru",
            "Новая коллекция 👟🔥 для @kvasek.test: #БостонСильный https://stride.example/ru",
            "https://stride.example/ru",
            "#БостонСильный",
        ),
        (
            "az",
            "Yeni mövsüm 👨‍👩‍👧‍👦 @kvasek.test ilə #Bakı https://stride.example/az",
            "https://stride.example/az",
            "#Bakı",
        ),
    ],
)
def test_facets_byte_offsets_hold_in_non_latin_and_emoji_text(
    store: Store,
    network: LocalNetwork,
    stride: Account,
    accounts: dict[str, Account],
    tmp_path: Path,
    lang: str,
    text: str,
    link: str,
    tag: str,
):
    config = sky_config(tmp_path, network.pds)
    pid = queue(store, text, lang=lang)
    assert run(store, config).published == [pid]
    stored = network.record(stride.did, store.get_post(pid).remote_key)
    raw = stored["text"].encode("utf-8")
    found = {}
    for facet in stored["facets"]:
        piece = raw[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode("utf-8")
        [feature] = facet["features"]
        found[feature["$type"].rsplit("#", 1)[-1]] = (piece, feature)
    assert found["link"] == (link, {"$type": "app.bsky.richtext.facet#link", "uri": link})
    assert found["mention"][0] == "@kvasek.test"
    assert found["mention"][1]["did"] == accounts["kvasek"].did
    assert found["tag"][0] == tag and found["tag"][1]["tag"] == tag[1:]


def test_an_answer_lost_after_the_record_was_written_still_one_post(
    store: Store, network: LocalNetwork, stride: Account, tmp_path: Path
):
    with AnswerDroppingProxy(network.pds, drop=1, only=CREATE) as proxy:
        config = sky_config(tmp_path, proxy.url)
        pid = queue(store, text := unique("Lost answer, one post"))
        # the write's answer is lost; the record under the post's key is read back
        assert run(store, config).published == [pid]
    post = store.get_post(pid)
    assert post.remote_id.endswith("/" + post.remote_key)
    assert len(mine(network, stride, text)) == 1


def test_no_answer_in_time_reads_back_the_record_written_under_the_key(
    store: Store, network: LocalNetwork, stride: Account, tmp_path: Path
):
    with AnswerDroppingProxy(network.pds, drop=2, hold=3.0, only=CREATE) as proxy:
        config = sky_config(tmp_path, proxy.url)
        pid = queue(store, text := unique("Slow answer, one post"))
        assert run(store, config).published == [pid]
        assert proxy.forwarded >= 1
    assert len(mine(network, stride, text)) == 1


def test_a_daemon_killed_between_send_and_record_posts_once_on_restart(
    store: Store, network: LocalNetwork, stride: Account, tmp_path: Path
):
    config = sky_config(tmp_path, network.pds)
    pid = queue(store, text := unique("Crash after the write"))
    claim = store.claim_due(
        now=T0,
        worker="doomed",
        lease=timedelta(seconds=30),
        limit=5,
        max_lateness=timedelta(hours=6),
        idempotent_channels={"stride-sky"},
    )
    pool = PublisherPool(config)
    publisher = pool.get("stride-sky")
    started = store.mark_sending(pid, worker="doomed", now=T0, key=publisher.new_key())
    publisher.publish(
        replace(claim.posts[0], remote_key=started.remote_key, first_try_at=started.first_try_at)
    )
    pool.close()
    # ... killed here; another daemon recovers the lease and sends again
    report = run(store, config, T0 + timedelta(minutes=1), worker="next")
    assert report.requeued == [pid] and report.published == [pid]
    assert store.get_post(pid).remote_key == started.remote_key
    assert len(mine(network, stride, text)) == 1


def test_a_refused_app_password_holds_the_post_naming_the_variable(
    store: Store,
    network: LocalNetwork,
    stride: Account,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("STRIDE_BSKY_PASSWORD", "aaaa-bbbb-cccc-dddd")
    config = sky_config(tmp_path, network.pds)
    pid = queue(store, text := unique("Wrong password"))
    assert run(store, config).held == [pid]
    error = store.get_post(pid).last_error
    assert "STRIDE_BSKY_PASSWORD" in error and "aaaa-bbbb" not in error
    assert mine(network, stride, text) == []


def test_no_pds_listening_is_tried_again_later(store: Store, stride: Account, tmp_path: Path):
    config = sky_config(tmp_path, "http://127.0.0.1:9")
    pid = queue(store, "Nobody home")
    assert run(store, config).failed == [pid]
    # a minute's backoff, lengthened at random by up to half
    retry_at = store.get_post(pid).run_at
    assert T0 + timedelta(minutes=1) <= retry_at <= T0 + timedelta(minutes=1.5)


def test_retract_deletes_the_record(
    store: Store, network: LocalNetwork, stride: Account, tmp_path: Path
):
    from scheduler.retraction import retract

    config = sky_config(tmp_path, network.pds)
    pid = queue(store, text := unique("Too soon"))
    assert run(store, config).published == [pid]
    assert len(mine(network, stride, text)) == 1
    done = retract(store, config, pid, Change(actor="tester", now=T0, reason="too soon"))
    assert done.status is Status.RETRACTED and mine(network, stride, text) == []


def test_an_image_is_embedded_with_its_alt_text(
    store: Store, network: LocalNetwork, stride: Account, tmp_path: Path
):
    config = sky_config(tmp_path, network.pds)
    image = png(tmp_path / "shoe.png")
    pid = queue_with_image(
        store, "stride-sky", unique("With a picture"), image, "Червона кросівка", T0
    )
    assert run(store, config).published == [pid]
    stored = network.record(stride.did, store.get_post(pid).remote_key)
    [image] = stored["embed"]["images"]
    assert image["alt"] == "Червона кросівка" and image["image"]["mimeType"] == "image/png"
    assert image["image"]["size"] == (tmp_path / "shoe.png").stat().st_size


def test_a_500_before_the_write_is_tried_again_and_posts_once(
    store: Store, network: LocalNetwork, stride: Account, tmp_path: Path
):
    failing = http_answer(
        500,
        "Internal Server Error",
        '{"error":"InternalServerError","message":"Internal Server Error"}',
    )
    with AnswerDroppingProxy(network.pds, drop=1, only=CREATE, answer=failing) as proxy:
        config = sky_config(tmp_path, proxy.url)
        pid = queue(store, text := unique("Through a 500"))
        assert run(store, config).failed == [pid]
        assert "500" in store.get_post(pid).last_error and mine(network, stride, text) == []
        assert run(store, config, T0 + timedelta(minutes=2)).published == [pid]
    assert len(mine(network, stride, text)) == 1


def test_a_rate_limit_rests_the_channel_without_using_up_a_try(
    store: Store, network: LocalNetwork, stride: Account, tmp_path: Path
):
    limited = http_answer(
        429,
        "Too Many Requests",
        '{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}',
        Retry_After="120",
        RateLimit_Limit="1666",
        RateLimit_Remaining="0",
    )
    with AnswerDroppingProxy(network.pds, drop=1, only=CREATE, answer=limited) as proxy:
        config = sky_config(tmp_path, proxy.url)
        pid = queue(store, text := unique("Slow down"))
        report = run(store, config)
        assert report.requeued == [pid] and not report.failed
        post = store.get_post(pid)
        assert post.status is Status.QUEUED and post.attempts == 0
        assert post.run_at == T0 + timedelta(seconds=120)
        assert run(store, config, T0 + timedelta(minutes=3)).published == [pid]
    assert len(mine(network, stride, text)) == 1


def test_a_daemon_process_killed_after_the_write_posts_once_after_restart(
    network: LocalNetwork, stride: Account, tmp_path: Path
):
    """A real `tactful daemon`, SIGKILLed after the PDS wrote the record but before the
    answer reached it; a new daemon recovers the post and finds the record under its key."""
    import json
    import signal
    import subprocess
    import time

    from tests.test_acceptance import TACTFUL, run

    text = unique("Killed after the write")
    with AnswerDroppingProxy(network.pds, drop=1, hold=60.0, only=CREATE) as proxy:
        data = base_config(lease_seconds=3)
        data["brands"][0]["channels"].append(
            {
                "id": "stride-sky",
                "kind": "bluesky",
                "service": proxy.url,
                "handle": "stride.test",
                "password_env": "STRIDE_BSKY_PASSWORD",
                "timeout_seconds": 30,
            }
        )
        config = write_config(tmp_path, data)
        assert run(config, "post", "add", text, "-c", "stride-sky", "--at", "now").returncode == 0
        daemon = subprocess.Popen(
            [TACTFUL, "--config", str(config), "daemon"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 20
            while not mine(network, stride, text):  # written; the answer is held
                assert time.monotonic() < deadline
                time.sleep(0.1)
        finally:
            daemon.send_signal(signal.SIGKILL)
            daemon.wait()
        time.sleep(3.5)
        assert run(config, "daemon", "--once").returncode == 0
    shown = json.loads(run(config, "post", "show", "1", "--json").stdout)
    [record] = mine(network, stride, text)
    assert shown["status"] == "published" and shown["remote_id"] == record["uri"]
