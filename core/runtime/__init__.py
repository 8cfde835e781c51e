"""Running trained models: what training, the probe and evaluation share.

- :mod:`~core.runtime.device`: device and precision (``--device``, ``--precision``, bf16 autocast);
- :mod:`~core.runtime.batching`: the fixed evaluation batches (64, in order; [A16]);
- :mod:`~core.runtime.checkpoint`: the checkpoint format: writing (training), reading and checking
  a file, building its model;
- :mod:`~core.runtime.inference`: model outputs as numpy (the one conversion every consumer
  uses), one or two-part forward passes, the batch-worker threads.

The probe (:mod:`core.probe`) and evaluation (:mod:`core.evaluation`) import these, not training
internals; training's per-epoch validation uses the same conversion.
"""
