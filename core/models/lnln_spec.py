"""LNLN's spec (plain data, no torch): the model is core/models/lnln.py; see core/models/spec.py."""

from core.models.spec import ModelSpec

SPEC = ModelSpec(
    name="lnln",
    display_name="LNLN",
    model="core.models.lnln:LNLN",
    config="core.models.lnln:LNLNConfig",
    estimates_integrity=(True, False, False),
    has_dominant=True,
    fixed_dominant=0,  # language is always dominant
    protocol="lnln",
    # §2.4: seed 1111, 200 epochs, the checkpoint of the best validation MAE, no early stopping
    paper={"seed": 1111, "epochs": 200, "select_on": "MAE", "patience": None, "patience_stage": 1},
    # the demo's narrower attention (d 64, 4 heads x 16; core/training/presets.py says why)
    demo={"epochs": 12, "lr": 1e-3, "model_overrides": {"d": 64, "heads": 4, "dim_head": 16}},
    tiny={"d": 64},
    integrity_note="LNLN estimates language integrity only",
    explorer_note="LNLN estimates language integrity only, dominant is always language",
)
