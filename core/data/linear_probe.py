"""How much of the label each modality explains linearly: a ridge least-squares probe on simple
per-utterance features (bag of words; per-channel mean, max and min over real frames).

It measures the data, not a model: the synthetic set's tests use it to check the generator's
design (text ~60 % of the explainable variance), and ``benchmarks/claims.py`` prints it beside
the models' figures as the ceiling of what a modality subset can show.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.data.dataset import Split

MODALITIES = ("text", "audio", "vision")


def text_features(split: Split, vocab_size: int) -> np.ndarray:
    ids, attention = split.text_bert[:, 0], split.text_bert[:, 1]
    bag = np.zeros((len(split), vocab_size))
    np.add.at(bag, (np.repeat(np.arange(len(split)), ids.shape[1]), ids.reshape(-1)), attention.reshape(-1))
    return bag


def frame_features(x: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    real = (np.arange(x.shape[1])[None, :] < lengths[:, None])[..., None]
    mean = (x * real).sum(axis=1) / np.maximum(lengths, 1)[:, None]
    top = np.where(real, x, -np.inf).max(axis=1)
    bottom = np.where(real, x, np.inf).min(axis=1)
    return np.nan_to_num(np.concatenate([mean, top, bottom], axis=1), posinf=0.0, neginf=0.0)


def features(split: Split, vocab_size: int) -> dict[str, np.ndarray]:
    return {
        "text": text_features(split, vocab_size),
        "audio": frame_features(split.audio, split.audio_lengths),
        "vision": frame_features(split.vision, split.vision_lengths),
    }


def probe_r2(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray, ridge: float = 10.0) -> float:
    """Ridge least squares on standardised features (fit on train), R² on test."""
    mu, sd = train_x.mean(axis=0), train_x.std(axis=0) + 1e-8
    a = np.c_[np.ones(len(train_x)), (train_x - mu) / sd]
    b = np.c_[np.ones(len(test_x)), (test_x - mu) / sd]
    penalty = ridge * np.eye(a.shape[1])
    penalty[0, 0] = 0.0
    w = np.linalg.solve(a.T @ a + penalty, a.T @ train_y)
    residual = test_y - b @ w
    return float(1.0 - residual @ residual / np.sum((test_y - test_y.mean()) ** 2))


def subset_r2(train: Split, test: Split, vocab_size: int, kept: Sequence[str]) -> float:
    """The probe's test R² from the ``kept`` modalities' features together."""
    f_train, f_test = features(train, vocab_size), features(test, vocab_size)
    x_train = np.concatenate([f_train[m] for m in kept], axis=1)
    x_test = np.concatenate([f_test[m] for m in kept], axis=1)
    return probe_r2(x_train, train.labels.astype(np.float64), x_test, test.labels.astype(np.float64))
