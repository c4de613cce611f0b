"""One progress bar per dataset on the terminal (tqdm hides them when stderr is not a terminal)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from tqdm import tqdm

from .pipeline import Transfer


class ProgressBars(contextlib.AbstractContextManager):
    def __init__(self, transfers: Sequence[Transfer], enabled: bool = True) -> None:
        self._bars = {
            id(t): tqdm(
                total=t.layout.nbytes,
                desc=t.layout.key,
                unit="B",
                unit_scale=True,
                position=i,
                leave=True,
                disable=None if enabled else True,
            )
            for i, t in enumerate(transfers)
        }

    def update(self, transfer: Transfer, nbytes: int) -> None:
        self._bars[id(transfer)].update(nbytes)

    def __exit__(self, *exc) -> None:
        for bar in self._bars.values():
            bar.close()
