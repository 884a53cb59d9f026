"""Policy violations: warnings TikTok gives the host during the LIVE (long LIVEs collect one at least)."""

from __future__ import annotations

import numpy as np

from liveboard.events import SEVERITIES
from liveboard.simulator.draft import SessionDraft
from liveboard.simulator.randomness import pick_by_weights
from liveboard.simulator.vocabulary import POLICIES, SEVERITY_WEIGHTS

ALWAYS_WARNED_AFTER_S = 5400  # a LIVE of 90 minutes or more has at least one violation
FIRST_AFTER_S = 120
LAST_BEFORE_END_S = 60


def add_violations(draft: SessionDraft) -> None:
    """``violation`` events at random times, each with a policy, its detail and a severity."""
    rng, duration_s, events = draft.rng, draft.duration_s, draft.events
    count = int(rng.poisson(draft.model.violations_per_hour * duration_s / 3600))
    if duration_s >= ALWAYS_WARNED_AFTER_S:
        count = max(count, 1)
    if not count:
        return
    times = np.sort(rng.uniform(FIRST_AFTER_S, duration_s - LAST_BEFORE_END_S, count))
    policy = rng.integers(0, len(POLICIES), count)
    severity = pick_by_weights(rng.random(count), SEVERITY_WEIGHTS)
    first_id = events.strings("violation_id", [f"vio-{draft.tag}-{k + 1}" for k in range(count)])
    first_policy = events.strings("policy", [POLICIES[int(x)][0] for x in policy])
    first_detail = events.strings("detail", [POLICIES[int(x)][1] for x in policy])
    first_severity = events.strings("severity", SEVERITIES)
    each = np.arange(count)
    events.add(
        "violation",
        draft.to_us(times),
        violation_id=first_id + each,
        policy=first_policy + each,
        severity=first_severity + severity,
        detail=first_detail + each,
    )
