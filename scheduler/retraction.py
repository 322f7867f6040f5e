"""Taking a published post back: deleted on its network, then marked `retracted`."""

from __future__ import annotations

from scheduler.config import Config
from scheduler.errors import BadInput, TactfulError
from scheduler.models import Post, Status
from scheduler.publishers import PublisherPool, PublishError
from scheduler.store import Change, Store


class RetractFailed(TactfulError):
    """The network did not delete the post; nothing was changed here."""


def retract(
    store: Store, config: Config, post_id: int, change: Change, pool: PublisherPool | None = None
) -> Post:
    post = store.get_post(post_id)
    if post.status is not Status.PUBLISHED or not post.remote_id:
        raise BadInput(
            f"post {post_id} is {post.status.value}: only a published post can be retracted"
        )
    entry = config.channels.get(post.channel)
    if entry is None:
        raise BadInput(
            f"post {post_id} went out on channel {post.channel!r}, which is no "
            "longer in config.yaml"
        )
    owned = pool is None
    pool = pool or PublisherPool(config)
    try:
        publisher = pool.get(post.channel)
        if not publisher.can_retract:
            raise BadInput(
                f"post {post_id} went out on {entry[1].kind} channel "
                f"{post.channel!r}, which cannot delete a post: take it back there "
                "by hand"
            )
        publisher.retract(post.remote_id)
    except PublishError as exc:
        raise RetractFailed(f"post {post_id} was not retracted: {exc}") from None
    finally:
        if owned:
            pool.close()
    return store.retract_post(post_id, change)
