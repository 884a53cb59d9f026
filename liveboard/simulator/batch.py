"""Many sessions at once: a fleet's tables in order of start, or one event-log file per session."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from liveboard.simulator.plan import DEFAULT_NOW, plan_fleet
from liveboard.simulator.session import simulate_plan


def simulate(
    seed: int = 0,
    accounts: int = 3,
    sessions: int = 12,
    *,
    mega: bool = False,
    scale: float = 1.0,
    now: datetime | None = None,
) -> Iterator[pa.Table]:
    """One table per session: ``sessions`` sessions of ``accounts`` accounts over the ~90 days before ``now``.

    At least one multi-session LIVE event (2-3 sessions sharing ``live_event_id``) is included when
    ``sessions >= 2``; ``mega=True`` adds a 3-hour session of at least 5 million events (``mega-...``),
    whose size does not depend on ``scale``. Tables come in order of start time.
    """
    now = now or DEFAULT_NOW
    for plan in plan_fleet(seed, accounts, sessions, mega, scale, now):
        yield simulate_plan(plan, seed=seed)


def write_simulation(
    out: Path,
    seed: int = 0,
    accounts: int = 3,
    sessions: int = 12,
    *,
    mega: bool = False,
    scale: float = 1.0,
    progress: bool = False,
) -> list[Path]:
    """Write one ``<session_id>.jsonl.gz`` per simulated session into ``out``; returns the paths."""
    from tqdm.auto import tqdm

    from liveboard.eventlog import write_event_log

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    total = sessions + (1 if mega else 0)
    for table in tqdm(
        simulate(seed, accounts, sessions, mega=mega, scale=scale),
        total=total,
        desc="simulating",
        unit="session",
        disable=not progress,
    ):
        session_id = table["session_id"][0].as_py()
        path = out / f"{session_id}.jsonl.gz"
        write_event_log(table, path)
        paths.append(path)
    return paths
