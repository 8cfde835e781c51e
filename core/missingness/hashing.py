"""Counter-based hashing: the ``u`` of every position, the random rates and drop decisions.

``u`` is not drawn from a stateful RNG: it is a SplitMix64 hash of (mask seed, sample id,
modality, position), mapped to (0, 1]. So a mask is a pure function of those keys and the rate,
whatever the batch size, order or number of processes. The torch twin of the positional hash
(:func:`torch_position_uniforms`) gives bit-identical values on the batch's device.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# SplitMix64 finaliser on uint64 arrays; wraps modulo 2**64 by design.
_GOLDEN = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB
_MASK64 = (1 << 64) - 1
_INV_2_53 = 1.0 / float(1 << 53)

# Independent hash streams, so that e.g. the random rate of a sample never correlates with its
# positional mask.
STREAM_POSITION = 1
STREAM_RATE = 2
STREAM_DROP = 3
STREAM_SUBSET = 4
STREAM_HALF = 5
STREAM_EPOCH = 6


def _u64(value: int) -> np.uint64:
    return np.uint64(int(value) & _MASK64)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 of every element of a uint64 array (a new array; the input is not modified)."""
    with np.errstate(over="ignore"):
        z = np.add(x, _u64(_GOLDEN), dtype=np.uint64)
        z ^= z >> np.uint64(30)
        z *= _u64(_MIX1)
        z ^= z >> np.uint64(27)
        z *= _u64(_MIX2)
        z ^= z >> np.uint64(31)
    return z


def _as_u64_array(values: np.ndarray | Sequence[int] | int) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype == np.uint64:
        return array
    return array.astype(np.int64).astype(np.uint64)  # two's complement for negative ids


def hash_keys(seed: int, stream: int, *parts: np.ndarray | int) -> np.ndarray:
    """A uint64 key per element of the broadcast ``parts`` (e.g. sample ids), for one seed/stream."""
    key = splitmix64(np.array([_u64(seed)], dtype=np.uint64)) ^ splitmix64(np.array([_u64(stream)], dtype=np.uint64))
    key = splitmix64(key)
    for part in parts:
        key = splitmix64(key ^ splitmix64(_as_u64_array(part)))
    return key


def to_unit(h: np.ndarray) -> np.ndarray:
    """Map uint64 hashes to float64 in (0, 1] using the top 53 bits (exactly representable)."""
    return ((h >> np.uint64(11)).astype(np.float64) + 1.0) * _INV_2_53


def hash_uniform(seed: int, stream: int, *parts: np.ndarray | int) -> np.ndarray:
    """Uniform (0, 1] values keyed by (seed, stream, parts...)."""
    return to_unit(hash_keys(seed, stream, *parts))


_POSITION_CACHE: dict[int, np.ndarray] = {}


def _position_hashes(length: int) -> np.ndarray:
    """splitmix64(0..length-1), cached: the per-position half of the positional key."""
    cached = _POSITION_CACHE.get(length)
    if cached is None:
        cached = splitmix64(np.arange(length, dtype=np.uint64))
        _POSITION_CACHE[length] = cached
    return cached


def position_uniforms(mask_seed: int, sample_ids: np.ndarray, modality: int, length: int) -> np.ndarray:
    """``u`` [N, length] in (0, 1] for every position of every sample of one modality.

    ``modality`` is the modality's noise key (normally its index; see :func:`noise_modalities`)."""
    base = hash_keys(mask_seed, STREAM_POSITION, np.asarray(sample_ids), modality)  # [N]
    return to_unit(splitmix64(base[:, None] ^ _position_hashes(length)[None, :]))


def noise_modalities(widths: Sequence[int], shared: bool = False) -> tuple[int, ...]:
    """The noise key of each modality (text, audio, vision) for :func:`position_uniforms`.

    By default a modality's own index, so the three modalities' masks are independent. With
    ``shared``, a modality whose number of positions (``widths``: text L, audio Ta, vision Tv)
    equals an earlier modality's uses that modality's key, hence the same ``u`` at every position:
    LNLN reseeds numpy with the run seed before every ``np.random.uniform(size=[N, T])``, so arrays
    of the same shape get the same draws (MOSEI audio and vision, both [N, 500], erase the same
    frames wherever both rates erase; on aligned files all three are [N, 50]).
    """
    if not shared:
        return tuple(range(len(widths)))
    return tuple(next(j for j in range(m + 1) if int(widths[j]) == int(widths[m])) for m in range(len(widths)))


def epoch_mask_seed(seed: int, epoch: int) -> int:
    """The mask seed of one training epoch (a non-negative int63, JSON- and torch-friendly)."""
    return int(hash_keys(seed, STREAM_EPOCH, epoch)[0] >> np.uint64(1))


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= (1 << 63) else value


def _torch_splitmix64(x):
    """SplitMix64 on int64 tensors holding uint64 bit patterns (two's-complement wrap-around)."""

    def shr(z, k):  # logical right shift on int64
        return (z >> k) & ((1 << (64 - k)) - 1)

    z = x + _signed(_GOLDEN)
    z = (z ^ shr(z, 30)) * _signed(_MIX1)
    z = (z ^ shr(z, 27)) * _signed(_MIX2)
    return z ^ shr(z, 31)


def torch_position_uniforms(mask_seed: int, sample_ids, modality: int, length: int):
    import torch

    ids_np = sample_ids.detach().cpu().numpy()
    base = hash_keys(mask_seed, STREAM_POSITION, ids_np, modality).view(np.int64)  # [N], cheap
    positions = _position_hashes(length).view(np.int64)
    device = sample_ids.device
    z = torch.from_numpy(base.copy()).to(device)[:, None] ^ torch.from_numpy(positions.copy()).to(device)[None, :]
    z = _torch_splitmix64(z)
    top = (z >> 11) & ((1 << 53) - 1)
    return (top.to(torch.float64) + 1.0) * _INV_2_53
