"""The demo's participants: who runs which model (:mod:`oracle.models.zoo`), with which
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

from oracle.models.zoo import Recipe

NAMES = (
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
    "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "uma", "victor",
    "walter", "xena", "yara", "zoe", "quinn",
)  # fmt: skip
#: Behaviours of a participant at reveal time.
HONEST, TAMPERS, SILENT = "honest", "tampers", "silent"


@dataclass(frozen=True)
class ModelSpec(Recipe):
    """One model of the demo (its name unique in the demo) and the tokens it stakes."""

    stake: str = field(kw_only=True)


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
        ([ModelSpec("alice-linear", "linear", 0.75, 1, stake="50"),
          ModelSpec("alice-trees", "trees", 120, 1, stake="40")], HONEST, "alice-linear"),
        ([ModelSpec("bob-trees", "trees", 200, 2, stake="75")], HONEST, None),
        ([ModelSpec("carol-linear", "linear", 0.5, 3, stake="25")], HONEST, None),
        ([ModelSpec("dave-noisy", "noisy", 0.5, 4, stake="20")], HONEST, None),
        ([ModelSpec("erin-random", "random", 0, 5, stake="30")], HONEST, None),
        # 5: copies alice's linear model.
        ([ModelSpec("frank-copy", "copy", source="alice-linear", stake="50")], HONEST, None),
        # 6: the hedge: the same model and its mirror, equal stakes.
        ([ModelSpec("grace-p", "linear", 0.6, 7, stake="40"),
          ModelSpec("grace-1-p", "mirror", source="grace-p", stake="40")], HONEST, None),
        ([ModelSpec("heidi-trees", "trees", 80, 8, stake="20"),
          ModelSpec("heidi-noisy", "noisy", 0.8, 8, stake="10")], HONEST, None),
        ([ModelSpec("ivan-random", "random", 0, 9, stake="12.5")], HONEST, None),
        # 9: reveals a different file than the one committed.
        ([ModelSpec("judy-linear", "linear", 0.4, 10, stake="25")], TAMPERS, None),
        # 10: never reveals.
        ([ModelSpec("mallory-trees", "trees", 60, 11, stake="30")], SILENT, None),
        ([ModelSpec("niaj-noisy", "noisy", 0.3, 12, stake="15")], HONEST, None),
    ]  # fmt: skip
    if kind == "signals":
        specs.append(([ModelSpec("olivia-signals", "signals", 0, 13, stake="20")], HONEST, None))
    people = []
    for i in range(count):
        if i < len(specs):
            models, behaviour, restakes = specs[i]
        else:
            share = 0.2 + 0.6 * ((i * 37) % 100) / 100
            models, behaviour, restakes = (
                [ModelSpec(f"{name(i)}-noisy", "noisy", share, 100 + i, stake=stake(i))],
                HONEST,
                None,
            )
        people.append(Participant(name(i), FIRST_ACCOUNT + i, tuple(models), behaviour, restakes))
    return people
