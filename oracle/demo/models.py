"""The demo's participants: who runs which model (:mod:`oracle.market.models`), with which
stake, and how each behaves at reveal time.

The first participants cover every behaviour the demo sets out to show:

- informed models: linear (least squares on a feature subset) and tree models (LightGBM,
  the wallet's example model with other settings), and noisy versions of them;
- pure random predictions;
- a copy of another participant's model (the same predictions, under another account);
- a hedge: one account staking a model and its mirror image (p and 1 - p);
- in Signals rounds, a Signals-style model: one ranked signal, as a price-momentum entry
  would be;
- one participant who reveals a tampered file, and one who never reveals.

Beyond those, participants run cheap noisy linear models, so a round of a thousand costs
little to train. Everything is seeded: the same roster and predictions on every run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

NAMES = (
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
    "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "uma", "victor",
    "walter", "xena", "yara", "zoe", "quinn",
)  # fmt: skip
#: Behaviours of a participant at reveal time.
HONEST, TAMPERS, SILENT = "honest", "tampers", "silent"


@dataclass(frozen=True)
class ModelSpec:
    """One model: its name (unique in the demo), its strategy and its parameters."""

    name: str
    strategy: str
    stake: str
    #: linear: feature fraction; noisy: noise share; trees: LightGBM rounds.
    param: float = 0.0
    seed: int = 0
    #: copy and mirror: the model whose predictions are used.
    source: str | None = None


@dataclass(frozen=True)
class Participant:
    name: str
    #: Development account index (``test:N``): 10 and up, beyond anvil's unlocked ten.
    account_index: int
    models: tuple[ModelSpec, ...]
    behaviour: str = HONEST
    #: Restakes its payout into the next round (claimAndRestake), for the model named here.
    restakes: str | None = None
    tags: frozenset[str] = field(default_factory=frozenset)


FIRST_ACCOUNT = 10


#: The showcase's participants (the thirteenth runs the Signals model in Signals rounds);
#: the demo runs at least these.
SHOWCASE = 13


def roster(count: int, kind: str = "classic") -> list[Participant]:
    """``count`` participants: the showcase first, then noisy linear models."""
    if count < SHOWCASE:
        raise ValueError(f"the demo needs at least {SHOWCASE} participants")
    stakes = ("5", "10", "12.5", "20", "25", "40", "50", "75", "100")

    def name(i: int) -> str:
        return NAMES[i] if i < len(NAMES) else f"p{i:04d}"

    def stake(i: int) -> str:
        return stakes[(i * 7) % len(stakes)]

    specs: list[tuple[list[ModelSpec], str, str | None]] = [
        # 0: two informed models, restakes the linear one.
        ([ModelSpec("alice-linear", "linear", "50", 0.75, 1),
          ModelSpec("alice-trees", "trees", "40", 120, 1)], HONEST, "alice-linear"),
        ([ModelSpec("bob-trees", "trees", "75", 200, 2)], HONEST, None),
        ([ModelSpec("carol-linear", "linear", "25", 0.5, 3)], HONEST, None),
        ([ModelSpec("dave-noisy", "noisy", "20", 0.5, 4)], HONEST, None),
        ([ModelSpec("erin-random", "random", "30", 0, 5)], HONEST, None),
        # 5: copies alice's linear model.
        ([ModelSpec("frank-copy", "copy", "50", source="alice-linear")], HONEST, None),
        # 6: the hedge: the same model and its mirror, equal stakes.
        ([ModelSpec("grace-p", "linear", "40", 0.6, 7),
          ModelSpec("grace-1-p", "mirror", "40", source="grace-p")], HONEST, None),
        ([ModelSpec("heidi-trees", "trees", "20", 80, 8),
          ModelSpec("heidi-noisy", "noisy", "10", 0.8, 8)], HONEST, None),
        ([ModelSpec("ivan-random", "random", "12.5", 0, 9)], HONEST, None),
        # 9: reveals a different file than the one committed.
        ([ModelSpec("judy-linear", "linear", "25", 0.4, 10)], TAMPERS, None),
        # 10: never reveals.
        ([ModelSpec("mallory-trees", "trees", "30", 60, 11)], SILENT, None),
        ([ModelSpec("niaj-noisy", "noisy", "15", 0.3, 12)], HONEST, None),
    ]  # fmt: skip
    if kind == "signals":
        specs.append(([ModelSpec("olivia-signals", "signals", "20", 0, 13)], HONEST, None))
    people = []
    for i in range(count):
        if i < len(specs):
            models, behaviour, restakes = specs[i]
        else:
            share = 0.2 + 0.6 * ((i * 37) % 100) / 100
            models, behaviour, restakes = (
                [ModelSpec(f"{name(i)}-noisy", "noisy", stake(i), share, 100 + i)],
                HONEST,
                None,
            )
        people.append(Participant(name(i), FIRST_ACCOUNT + i, tuple(models), behaviour, restakes))
    return people
