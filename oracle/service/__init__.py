"""The oracle service: the HTTP API and web pages participants and the public use (see
:mod:`oracle.service.app`), and the page renderer the static round reports share."""

from oracle.service.app import ServiceLimits, create_app
from oracle.service.render import Pages, write_round_report
from oracle.service.views import TournamentView

__all__ = ["Pages", "ServiceLimits", "TournamentView", "create_app", "write_round_report"]
