"""Text: encoder specs and builders, tokenizers, the BERT module models wrap, and BERT's eval
forward without transformers.

- :mod:`~core.text.special_ids`: the token ids masking needs (BERT's by default);
- :mod:`~core.text.tokenizers`: word and pretrained tokenizers, vocabularies (no torch);
- :mod:`~core.text.encoders`: :class:`TextEncoderSpec`, ``--text-encoder`` parsing, MiniLM
  verification, building an encoder (torch/transformers imported inside);
- :mod:`~core.text.bert_module`: :class:`BertTextEncoder`, the ``nn.Module`` every model wraps;
- :mod:`~core.text.bert_inference`: what a loaded checkpoint's BERT runs on.

Nothing here imports :mod:`core.data` at run time (only for type hints), so the data loaders can
tokenize without an import cycle.
"""
