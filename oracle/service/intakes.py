"""The reveal intakes the service keeps, one per round taking reveals, each with a chain clock
that is cheap inside the reveal window and exact at its edges."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from oracle.audit.context import OracleContext
from oracle.chain.events import Status
from oracle.errors import TournamentError, one_line
from oracle.protocol.manifest import RoundManifest
from oracle.resolver.intake import Intake
from oracle.service.views import TournamentView

log = logging.getLogger("oracle.service")
#: Seconds before the reveal deadline from which chain time is read afresh for every reveal
#: (a block on a real chain moves time by seconds, never by a minute).
WINDOW_EDGE = 60


def fresh_read_needed(recent: int, opens: int, closes: int) -> bool:
    """Whether a reveal needs chain time read afresh, given a ``recent`` read (at most half a
    second old) and the window from close (``opens``) to the reveal deadline (``closes``).

    Chain time only moves forward (and no reveal is taken before close is at depth, see
    :attr:`~oracle.resolver.intake.Intake.positions`, so a reorg of the tip cannot take it
    back before close), so a recent read at or after close proves close has passed: the
    reveals that burst in right after close need no read of their own. Before
    close a fresh read may find the window just opened, and within :data:`WINDOW_EDGE`
    seconds of the deadline a fresh read must judge it exactly (a recent read could be on
    the wrong side of it).
    """
    return not opens <= recent <= closes - WINDOW_EDGE


class Intakes:
    """The intake of each round asked for, made once (a broken one is made again next time)."""

    def __init__(self, ctx: OracleContext, view: TournamentView) -> None:
        self.ctx = ctx
        self.view = view
        self._intakes: dict[int, Intake] = {}
        self._lock = threading.Lock()

    def window_clock(self, manifest: RoundManifest) -> Callable[[], int]:
        """Chain time for the intake: a read at most half a second old while the round is
        inside its reveal window (one read serves a burst of reveals), and a fresh read before
        close and within a minute of the deadline (see :func:`fresh_read_needed`)."""
        opens, closes = manifest.schedule.close_time, manifest.schedule.reveal_deadline
        view, ctx = self.view, self.ctx

        def clock() -> int:
            now = view.now()
            return ctx.now() if fresh_read_needed(now, opens, closes) else now

        return clock

    def of(self, round_id: int) -> Intake:
        """The intake of ``round_id`` (a 404 for a round that does not exist)."""
        with self._lock:
            intake = self._intakes.get(round_id)
            if intake is None:
                self.view.info(round_id)
                clock = self.window_clock(self.view.manifest(round_id))
                intake = Intake(self.ctx, round_id, clock=clock)
                if intake.error is None:
                    self._intakes[round_id] = intake
            return intake

    def warm(self) -> None:
        """Read the positions of every round taking reveals now, before the first arrives."""
        view = self.view
        try:
            now = view.now()
            for round_id in view.round_ids():
                info = view.info(round_id)
                if info.status != Status.PENDING or now < info.close_time:
                    continue
                if now <= view.manifest(round_id).schedule.reveal_deadline:
                    self.of(round_id).preload()
        except TournamentError as err:
            log.warning("could not preload the rounds taking reveals: %s", one_line(str(err)))
