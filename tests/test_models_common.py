"""Properties every registered model must have (issue 3); model-specific tests live beside it."""

from __future__ import annotations

import math
import re

import pytest
import torch
from torch import nn

from core.data.dataset import FeatureDims
from core.data.synthetic import generate_synthetic
from core.missingness import default_training_protocol
from core.models.base import ModelInput, ModelOutput, MSAModel
from core.models.blocks import GradientReversalLayer
from core.models.registry import build_model, model_names
from core.training.batches import SplitTensors, draw_rates, make_batch
from core.training.stages import enter_stage
from tests.model_inputs import SMALL_DIMS, random_input
from tests.tiny_text_encoder import TinyTextEncoder


def make(name: str, seed: int = 0, dims: FeatureDims = SMALL_DIMS, family: str = "mosi") -> MSAModel:
    torch.manual_seed(seed)
    model = build_model(name, family, dims, TinyTextEncoder(vocab_size=400, max_len=dims.text_len))
    model.train()
    return model


def embedding_weights(model: nn.Module) -> set[int]:
    """Embedding tables: rows of ids absent from the batch rightly get a zero gradient."""
    return {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}


def test_gradient_reversal_flips_the_sign():
    x = torch.randn(4, 3, requires_grad=True)
    upstream = torch.randn(4, 3)
    GradientReversalLayer(alpha=1.0)(x).backward(upstream)
    assert torch.equal(x.grad, -upstream)
    y = torch.randn(2, requires_grad=True)
    out = GradientReversalLayer(alpha=0.5)(y)
    assert torch.equal(out, y)
    out.sum().backward()
    assert torch.equal(y.grad, torch.full((2,), -0.5))


@pytest.fixture(params=model_names())
def name(request) -> str:
    return request.param


def test_registry_builds_the_named_class(name):
    model = make(name)
    assert isinstance(model, MSAModel) and model.name == name


def test_output_contract(name):
    model = make(name)
    out = model(random_input(batch=5), stage=model.num_stages)
    assert isinstance(out, ModelOutput)
    assert out.prediction.shape == (5,) and torch.isfinite(out.prediction).all()
    if any(model.estimates_integrity):
        assert out.integrity.shape == (5, 3)
        for column, estimated in enumerate(model.estimates_integrity):
            values = out.integrity[:, column]
            if estimated:
                assert ((values >= 0) & (values <= 1)).all(), f"integrity {column} outside [0, 1]"
            else:
                assert torch.isnan(values).all()
    else:
        assert out.integrity is None
    if model.has_dominant:
        assert out.dominant.shape == (5,) and out.dominant.dtype == torch.long
        assert ((out.dominant >= 0) & (out.dominant <= 2)).all()
    else:
        assert out.dominant is None


@pytest.fixture(scope="module")
def synthetic_batch() -> tuple[FeatureDims, ModelInput]:
    """A real batch: 8 synthetic training utterances erased by the LNLN training protocol."""
    dataset = generate_synthetic(0)
    tensors = SplitTensors.from_split(dataset.split("train"))
    draw = draw_rates(default_training_protocol("lnln", "synthetic", seed=1), tensors, dataset.present, epoch=1)
    batch = make_batch(tensors, torch.arange(8), draw, dataset.special_ids, torch.device("cpu"), with_complete=True)
    return dataset.dims, batch


@pytest.mark.parametrize("stage_index", [0, 1])
def test_every_loss_term_is_finite_and_differentiable(name, stage_index, synthetic_batch):
    dims, batch = synthetic_batch
    model = make(name, dims=dims, family="synthetic")
    stage = stage_index + 1
    if stage > model.num_stages:
        pytest.skip(f"{name} has a single training stage")
    out = model(batch, stage=stage)
    assert out.losses, "no loss terms with labels and complete inputs"
    trainable = [p for p in model.parameters() if p.requires_grad]
    for term, value in out.losses.items():
        assert value.dim() == 0 and math.isfinite(value.item()), f"{term} = {value}"
        assert value.requires_grad, f"{term} is not differentiable"
        grads = torch.autograd.grad(value, trainable, retain_graph=True, allow_unused=True)
        assert any(g is not None and g.abs().sum() > 0 for g in grads), f"{term} reaches no parameter"
    assert out.loss is not None and math.isfinite(out.loss.item())


# Parameters used only when a given modality is auxiliary: Senti-iFusion's fusion layers hold k/v
# projections for all three modalities and the dominant one's go unused. Pattern -> modality group.
ROUTED_BY_DOMINANT = {"senti-ifusion": re.compile(r"^fusion_layers\.\d+\.(?:norm_aux|to_k|to_v)\.(\d)\.")}


def test_gradients_reach_exactly_the_parameters_of_each_stage(name):
    """Two SGD steps per stage: a parameter may rightly get a zero gradient at initialisation
    (LNLN's H_hyper starts as ones, so LayerNorm(H_hyper) ignores its weight until H_hyper moves),
    but every trainable one must get a non-zero gradient in one of them and no frozen one any.
    Routed parameters are excused only when their modality was dominant for every sample."""
    for stage in range(1, make(name).num_stages + 1):
        model = make(name)
        # Parameters built frozen (e.g. BERT's unused pooler) never train, whatever the stage.
        inside = {id(p) for p in model.stage_parameters(stage) if p.requires_grad}
        auxiliary = {id(p) for p in model.auxiliary_parameters()}
        # As the trainer does on entering the stage: only the stage's parameters get gradients.
        enter_stage(model, stage, [p for p in model.parameters() if p.requires_grad and id(p) not in auxiliary])
        embeddings = embedding_weights(model)
        optimizer = torch.optim.SGD([p for p in model.parameters() if id(p) in inside], lr=1e-2)
        reached: dict[str, float] = {}
        dominants: set[int] = set()
        for step in range(2):
            optimizer.zero_grad(set_to_none=True)
            out = model(random_input(seed=2 + step), stage=stage)
            out.loss.backward()
            if out.dominant is not None:
                dominants.update(out.dominant.tolist())
            for param_name, p in model.named_parameters():
                if id(p) in inside:
                    assert p.grad is not None, f"stage {stage}: {param_name} gets no gradient"
                    assert torch.isfinite(p.grad).all(), f"stage {stage}: {param_name} non-finite gradient"
                    reached[param_name] = reached.get(param_name, 0.0) + float(p.grad.abs().sum())
                elif id(p) not in auxiliary:
                    assert p.grad is None or not p.grad.any(), f"stage {stage}: frozen {param_name} gets a gradient"
            optimizer.step()
        routed = ROUTED_BY_DOMINANT.get(name)

        def excused(param_name: str) -> bool:
            match = routed.match(param_name) if routed else None  # noqa: B023 - called within this iteration
            return bool(match) and dominants == {int(match.group(1))}  # noqa: B023 - called within this iteration

        dead = [
            n
            for n, p in model.named_parameters()
            if id(p) in inside and id(p) not in embeddings and reached[n] == 0 and not excused(n)
        ]
        assert not dead, f"stage {stage}: zero gradient in both steps for {dead}"


def test_auxiliary_step_trains_only_the_auxiliary_parameters(name):
    model = make(name)
    auxiliary = model.auxiliary_parameters()
    loss = model.auxiliary_loss(random_input(seed=3))
    if not auxiliary:
        assert loss is None
        return
    assert math.isfinite(loss.item())
    loss.backward()
    ids = {id(p) for p in auxiliary}
    assert all(p.grad is not None for p in auxiliary)
    assert all(p.grad is None or not p.grad.any() for p in model.parameters() if id(p) not in ids)


def test_evaluation_works_without_complete_inputs(name):
    model = make(name)
    model.eval()
    inputs = random_input(batch=3, with_complete=False)
    with torch.no_grad():
        out = model(inputs)
        inputs.labels = None
        inputs.integrity = None
        bare = model(inputs)
    assert out.prediction.shape == (3,) and torch.isfinite(out.prediction).all()
    assert all(math.isfinite(v.item()) for v in out.losses.values())
    assert bare.loss is None
    assert torch.allclose(bare.prediction, out.prediction)


def test_evaluation_is_deterministic_and_independent_of_batch_order(name):
    """Permuting the batch permutes the predictions (holds for a batch-level dominant too)."""
    model = make(name)
    model.eval()
    inputs = random_input(batch=6, with_complete=False, seed=5)
    order = torch.tensor([3, 0, 5, 1, 4, 2])
    shuffled = random_input(batch=6, with_complete=False, seed=5)
    for key in ("text", "audio", "vision", "audio_lengths", "vision_lengths"):
        setattr(shuffled, key, getattr(inputs, key)[order])
    with torch.no_grad():
        a, b = model(inputs), model(shuffled)
    assert torch.allclose(a.prediction[order], b.prediction, atol=1e-5)
