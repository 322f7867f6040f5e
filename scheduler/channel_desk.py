"""Pausing and resuming one channel (a leaked token, an account under attack): what
waits on it is paused at once, and comes back paced, to review, or not yet."""

from __future__ import annotations

from dataclasses import replace

from scheduler.config import Config
from scheduler.errors import BadInput, UnknownChannel
from scheduler.judging import Judging
from scheduler.outcomes import ChannelPaused, ChannelResumed
from scheduler.releasing import Releaser, Resume
from scheduler.store import Change, Store
from scheduler.store import channels as channel_store
from scheduler.store import crises as crisis_store
from scheduler.who import Who, change_for


class ChannelDesk:
    """Pause and resume channels; each method records `change`, or one made by `clock`
    (a Tactful) from `note`."""

    def __init__(
        self, store: Store, config: Config, judging: Judging | None = None, clock: Who | None = None
    ) -> None:
        self.store = store
        self.config = config
        self.judging = judging or Judging(config)
        self.clock = clock
        self.releaser = Releaser(store, config, self.judging)

    def pause(
        self, channel: str, change: Change | None = None, note: str | None = None
    ) -> ChannelPaused:
        """Stop one channel: what waits on it is paused until `resume`."""
        change = change_for(self.clock, change, note, "channel-pause")
        self._known_channel(channel)
        with self.store.write() as conn:
            if channel in channel_store.paused_channels(conn):
                raise BadInput(f"channel {channel} is already paused")
            paused = channel_store.pause(conn, channel, change)
            flying = channel_store.in_flight(conn, channel)
        return ChannelPaused(channel=channel, paused=paused, in_flight=flying)

    def resume(
        self,
        channel: str,
        change: Change | None = None,
        *,
        resume: Resume = "paced",
        rate: str | None = None,
        note: str | None = None,
    ) -> ChannelResumed:
        """Lift a channel's pause: its paused posts that no crisis stops come back
        paced, go to review, or stay paused (`hold`)."""
        change = change_for(self.clock, change, note or "channel resumed", "channel-resume")
        self._known_channel(channel)
        pace = self.releaser.rate_for(rate)
        with self.store.write() as conn:
            if channel not in channel_store.paused_channels(conn):
                raise BadInput(f"channel {channel} is not paused")
            channel_store.resume(
                conn, channel, replace(change, detail={"resume": resume, "rate": rate})
            )
            epoch = crisis_store.lock_epoch_shared(conn)
            active = crisis_store.active_crises(conn)
        judge = self.judging.judge_for(epoch, active)
        still, free = self.releaser.paused_split(judge, epoch, change, channel=channel)
        released = self.releaser.release(
            free, change, resume=resume, pace=pace, why=f"channel {channel} resumed"
        )
        return ChannelResumed(
            channel=channel, resume=resume, still_paused=len(still), posts=released
        )

    def _known_channel(self, channel: str) -> None:
        if channel not in self.config.channels:
            raise UnknownChannel(channel, list(self.config.channels))
