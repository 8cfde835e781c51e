"""The evaluation batches: contiguous, in order, never shuffled (docs/models.md [A16]).

Senti-iFusion chooses its dominant modality per batch, so every consumer of a split (training's
validation, ``senti-tui eval``, the explorer) must feed it in the same batches to get the same
figures: 64 rows at a time, and a trailing batch of one joined to the previous one (batch-level
terms need two samples).
"""

from __future__ import annotations

EVAL_BATCH_SIZE = 64


def batch_rows(n: int, batch_size: int = EVAL_BATCH_SIZE) -> list[list[int]]:
    """Rows 0..n-1 in batches of ``batch_size``; a trailing batch of one joins the previous one."""
    batches = [list(range(i, min(i + batch_size, n))) for i in range(0, n, batch_size)]
    if len(batches) > 1 and len(batches[-1]) == 1:
        last = batches.pop()  # (not batches[-2] = batches[-2] + batches.pop(): the target is indexed after the pop)
        batches[-1] = batches[-1] + last
    return batches


def eval_spans(n: int, batch_size: int = EVAL_BATCH_SIZE, rank: int = 0, world_size: int = 1) -> list[tuple[int, int]]:
    """This rank's evaluation batches of rows 0..n-1 as (start, stop): whole batches dealt
    round-robin over ranks, so each keeps the composition it has on one process."""
    return [(rows[0], rows[-1] + 1) for rows in batch_rows(n, batch_size)[rank::world_size]]
