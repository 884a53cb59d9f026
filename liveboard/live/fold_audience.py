"""Audience: viewers' and customers' profiles (follower status, gender, age, region) as user counts.

A profile is taken from a user's first enter. Customers are counted by profile when they pay; a customer
whose profile was unknown when they paid moves from "unknown" to their profile once it is seen.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from liveboard.events import AGES, GENDERS
from liveboard.live.batch import Batch
from liveboard.live.codes import FOLLOWER
from liveboard.live.columns import as_numpy, column
from liveboard.live.fields import StateFields


class AudienceFold(StateFields):
    """Fold steps for the audience (part of :class:`~liveboard.live.state.LiveState`)."""

    def _fold_profiles(self, batch: Batch) -> None:
        """Profiles of users entering for the first time, added to the viewers' (and customers') audience."""
        table, uid, U = batch.table, batch.uid, self.u
        rows = np.flatnonzero(batch.is_t["viewer_enter"])
        first_u, first_i = np.unique(uid[rows], return_index=True)
        need = ~U.prof[first_u]
        if not need.any():
            return
        pu_, pr = first_u[need], rows[first_i[need]]
        fol = column(table, "is_follower").take(pa.array(pr))
        fol = np.where(as_numpy(fol, False), 0, 1)  # CASE WHEN is_follower: NULL → non-follower
        gen = self._codes(column(table, "gender").take(pa.array(pr)), GENDERS)
        age = self._codes(column(table, "age").take(pa.array(pr)), AGES)
        reg = self.regions.map(column(table, "region").take(pa.array(pr)))
        U.p_follower[pu_], U.p_gender[pu_], U.p_age[pu_], U.p_region[pu_] = fol, gen, age, reg
        U.prof[pu_] = True
        for dim, codes in (("follower", fol), ("gender", gen), ("age", age), ("region", reg)):
            vals, cnt = np.unique(codes, return_counts=True)
            for v, k in zip(vals.tolist(), cnt.tolist(), strict=True):
                key = ("viewers", dim, self._dim_value(dim, v))
                self.aud[key] = self.aud.get(key, 0) + k
        cust = np.flatnonzero(U.paid[pu_] > 0)  # customers whose profile was unknown until now
        for k in cust.tolist():
            self._aud_add("customers", -1, -1, -1, -1, -1)
            self._aud_add("customers", int(fol[k]), int(gen[k]), int(age[k]), int(reg[k]), 1)

    @staticmethod
    def _codes(arr: pa.Array, vocab: tuple[str, ...]) -> np.ndarray:
        if len(arr) == 0:
            return np.zeros(0, np.int64)
        enc = arr.dictionary_encode()
        lut = {v: i for i, v in enumerate(vocab)}
        codes = np.array([lut.get(x, -1) for x in enc.dictionary.to_pylist()] + [-1], np.int64)
        idx = enc.indices
        if idx.null_count:
            idx = pc.fill_null(idx, len(codes) - 1)
        return codes[idx.to_numpy(zero_copy_only=False)]

    def _dim_value(self, dim: str, code: int) -> str:
        if code < 0:
            return "unknown"
        if dim == "follower":
            return FOLLOWER[code]
        if dim == "gender":
            return GENDERS[code]
        if dim == "age":
            return AGES[code]
        return self.regions.names[code]

    def _aud_add(self, audience: str, follower: int, gender: int, age: int, region: int, k: int) -> None:
        vals = (
            ("follower", FOLLOWER[follower] if follower >= 0 else "unknown"),
            ("gender", GENDERS[gender] if gender >= 0 else "unknown"),
            ("age", AGES[age] if age >= 0 else "unknown"),
            ("region", self.regions.names[region] if region >= 0 else "unknown"),
        )
        for dim, v in vals:
            key = (audience, dim, v)
            self.aud[key] = self.aud.get(key, 0) + k

    def _profile(self, u: int) -> tuple[int, int, int, int]:
        if not self.u.prof[u]:
            return (-1, -1, -1, -1)
        return (int(self.u.p_follower[u]), int(self.u.p_gender[u]), int(self.u.p_age[u]), int(self.u.p_region[u]))
