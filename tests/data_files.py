"""Small MMSA pickles and label.csv files, and corpora of bad data files with their exact errors.

Loader tests and CLI tests share the corpus, so every case is checked both through the function
and through ``senti-tui data check``.
"""

from __future__ import annotations

import copy
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SIZES = {"train": 5, "valid": 3, "test": 4}
TEXT_LEN, AUDIO_LEN, AUDIO_DIM, VISION_LEN, VISION_DIM = 8, 6, 3, 7, 4


def small_split(n: int, seed: int, label_scale: float = 3.0) -> dict:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, TEXT_LEN + 1, n)
    positions = np.arange(TEXT_LEN)
    mask = (positions[None] < lengths[:, None]).astype(np.float64)
    ids = rng.integers(1000, 2000, (n, TEXT_LEN)) * mask
    ids[:, 0] = 101
    ids[np.arange(n), lengths - 1] = 102
    text_bert = np.stack([ids, mask, np.zeros_like(mask)], axis=1)  # floats, as MMSA stores them
    audio_lengths = rng.integers(1, AUDIO_LEN + 1, n)
    vision_lengths = rng.integers(1, VISION_LEN + 1, n)
    audio = rng.normal(size=(n, AUDIO_LEN, AUDIO_DIM)).astype(np.float32)
    audio *= np.arange(AUDIO_LEN)[None, :, None] < audio_lengths[:, None, None]
    vision = rng.normal(size=(n, VISION_LEN, VISION_DIM)).astype(np.float32)
    vision *= np.arange(VISION_LEN)[None, :, None] < vision_lengths[:, None, None]
    labels = np.round(rng.uniform(-label_scale, label_scale, n) * 5) / 5
    return {
        "raw_text": np.array([f"utterance {i}" for i in range(n)], dtype=object),
        "id": np.array([f"vid{i // 2}$_${i % 2}" for i in range(n)], dtype=object),
        "text_bert": text_bert,
        "text": rng.normal(size=(n, TEXT_LEN, 16)).astype(np.float32),  # unused by the models
        "audio": audio,
        "vision": vision,
        "audio_lengths": audio_lengths,
        "vision_lengths": vision_lengths,
        "regression_labels": labels.astype(np.float32),
        "classification_labels": (labels > 0).astype(np.float32),
    }


def small_mmsa(label_scale: float = 3.0) -> dict:
    return {name: small_split(n, seed, label_scale) for seed, (name, n) in enumerate(SIZES.items())}


def write(path: Path, obj) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        pickle.dump(obj, handle, protocol=4)
    return path


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


@dataclass
class BadCase:
    name: str
    path: Path
    message: str  # the exact one-line error (without the CLI's "error: " prefix)


def bad_corpus(root: Path) -> list[BadCase]:
    """Every error case of issue 2, as a file on disk with the exact message it must give."""
    root = root / "mosi"  # the folder names the family, as in ~/data/MOSI/unaligned_50.pkl
    root.mkdir(parents=True, exist_ok=True)
    cases: list[BadCase] = []

    def case(name: str, data, message: str, raw: bytes | None = None) -> None:
        path = root / f"{name}.pkl"
        if raw is not None:
            path.write_bytes(raw)
        else:
            write(path, data)
        cases.append(BadCase(name, path, message.replace("{path}", str(path))))

    def variant(mutate) -> dict:
        data = copy.deepcopy(small_mmsa())
        mutate(data)
        return data

    missing = root / "missing.pkl"
    cases.append(BadCase("missing_file", missing, f"{missing}: no such file; check the path"))
    folder = root / "a_folder.pkl"
    folder.mkdir(exist_ok=True)
    cases.append(BadCase("directory", folder, f"{folder}: is a directory, not a pickle file; pass the .pkl file inside it"))
    case(
        "not_a_pickle",
        None,
        "{path}: not a pickle (cannot be unpickled); expected an MMSA pickle such as unaligned_50.pkl",
        raw=b"video_id,clip_id,text,label,mode\n",
    )
    case(
        "truncated",
        None,
        "{path}: not a pickle, or a truncated one (it ends early); expected an MMSA pickle such as unaligned_50.pkl",
        raw=pickle.dumps(small_mmsa(), protocol=4)[:200],
    )
    case(
        "empty_file",
        None,
        "{path}: not a pickle, or a truncated one (it ends early); expected an MMSA pickle such as unaligned_50.pkl",
        raw=b"",
    )
    case(
        "unsafe_global",
        None,
        "{path}: refuses to unpickle posix.system (only numpy arrays and plain containers are allowed)",
        raw=pickle.dumps({"train": _Evil()}, protocol=4),
    )
    case(
        "top_level_list", [1, 2], "{path}: holds a list, not a dict of splits; expected an MMSA pickle with train, valid and test"
    )
    case(
        "missing_split",
        variant(lambda d: d.pop("test")),
        "{path}: split 'test' is missing (found: train, valid); an MMSA pickle holds train, valid and test",
    )
    case(
        "split_not_dict",
        variant(lambda d: d.__setitem__("valid", [1, 2, 3])),
        "{path}: split 'valid' is a list, expected a dict of arrays",
    )
    case(
        "missing_key",
        variant(lambda d: d["valid"].pop("audio_lengths")),
        "{path}: split 'valid' has no key 'audio_lengths'; an MMSA split needs text_bert, audio, audio_lengths, vision, vision_lengths, regression_labels",
    )
    case(
        "missing_labels",
        variant(lambda d: d["train"].pop("regression_labels")),
        "{path}: split 'train' has no key 'regression_labels'; an MMSA split needs text_bert, audio, audio_lengths, vision, vision_lengths, regression_labels",
    )
    case(
        "not_numeric",
        variant(lambda d: d["train"].__setitem__("vision", "features")),
        "{path}: split 'train' key 'vision' is not a numeric array (str); expected a numpy array of numbers",
    )
    case(
        "text_bert_2_rows",
        variant(lambda d: d["train"].__setitem__("text_bert", d["train"]["text_bert"][:, :2])),
        "{path}: split 'train' key 'text_bert' has shape [5, 2, 8], expected [N,3,L] (token ids, attention mask, segment ids)",
    )
    case(
        "text_bert_2d",
        variant(lambda d: d["test"].__setitem__("text_bert", d["test"]["text_bert"][:, 0])),
        "{path}: split 'test' key 'text_bert' has shape [4, 8], expected [N,3,L] (token ids, attention mask, segment ids)",
    )
    case(
        "text_bert_fractional",
        variant(lambda d: d["train"]["text_bert"].__setitem__((0, 0, 1), 7.5)),
        "{path}: split 'train' key 'text_bert' holds negative or fractional values; token ids must be whole numbers >= 0",
    )
    case(
        "audio_2d",
        variant(lambda d: d["train"].__setitem__("audio", d["train"]["audio"][:, :, 0])),
        "{path}: split 'train' key 'audio' has shape [5, 6], expected [N,T,d] (samples, frames, features)",
    )
    case(
        "lengths_too_long",
        variant(lambda d: d["train"]["audio_lengths"].__setitem__(2, AUDIO_LEN + 3)),
        "{path}: split 'train' key 'audio_lengths' is 9 at sample 2, longer than the sequence (6 frames in 'audio')",
    )
    case(
        "lengths_negative",
        variant(lambda d: d["valid"]["vision_lengths"].__setitem__(1, -1)),
        "{path}: split 'valid' key 'vision_lengths' is -1 at sample 1; lengths cannot be negative",
    )
    case(
        "label_out_of_range",
        variant(lambda d: d["test"]["regression_labels"].__setitem__(3, 3.4)),
        "{path}: split 'test' key 'regression_labels' is 3.4 at sample 3, outside [-3, 3] for mosi; check the file or the data set name",
    )
    case(
        "label_nan",
        variant(lambda d: d["valid"]["regression_labels"].__setitem__(0, np.nan)),
        "{path}: split 'valid' key 'regression_labels' is NaN or infinite at sample 0; labels must be numbers",
    )
    case(
        "empty_split",
        variant(lambda d: d.__setitem__("valid", {k: v[:0] for k, v in d["valid"].items()})),
        "{path}: split 'valid' is empty (0 samples); every split needs at least one",
    )
    case(
        "mismatched_n",
        variant(lambda d: d["train"].__setitem__("vision", d["train"]["vision"][:4])),
        "{path}: split 'train' key 'vision' has 4 samples but 'text_bert' has 5; every key of a split must have the same number of samples",
    )
    case(
        "mismatched_n_labels",
        variant(lambda d: d["test"].__setitem__("regression_labels", d["test"]["regression_labels"][:2])),
        "{path}: split 'test' key 'regression_labels' has 2 samples but 'text_bert' has 4; every key of a split must have the same number of samples",
    )
    case(
        "mismatched_n_raw_text",
        variant(lambda d: d["test"].__setitem__("raw_text", d["test"]["raw_text"][:1])),
        "{path}: split 'test' key 'raw_text' has 1 samples but 'text_bert' has 4; every key of a split must have the same number of samples",
    )
    case(
        "dims_differ",
        variant(lambda d: d["valid"].__setitem__("audio", np.zeros((3, AUDIO_LEN, AUDIO_DIM + 1), np.float32))),
        "{path}: split 'valid' key 'audio' has per-sample shape [6, 4] but split 'train' has [6, 3]; every split must share the feature dims",
    )
    sims = root.parent / "sims"
    sims.mkdir(exist_ok=True)
    path = write(sims / "unaligned_39.pkl", small_mmsa(label_scale=3.0))
    labels = small_mmsa(label_scale=3.0)["train"]["regression_labels"]
    first = int(np.argmax(np.abs(labels) > 1))
    cases.append(
        BadCase(
            "sims_label_range",
            path,
            f"{path}: split 'train' key 'regression_labels' is {float(labels[first]):g} at sample {first}, "
            "outside [-1, 1] for sims; check the file or the data set name",
        )
    )
    return cases


# --- label.csv ------------------------------------------------------------------------------------

CSV_HEADER = "video_id,clip_id,text,label,annotation,mode\n"
GOOD_CSV_ROWS = [
    ("v1", 1, "IT WAS REALLY GOOD", 2.4, "train"),
    ("v1", 2, "the plot was boring, but the acting was great", 0.8, "train"),
    ("v2", 1, "i hated it", -2.6, "train"),
    ("v2", 2, "it was okay i guess", 0.0, "valid"),
    ("v3", 1, "really awful ending", -3.0, "valid"),
    ("v3", 2, "wonderful film", 3.0, "test"),
]


def csv_text(rows, header: str = CSV_HEADER) -> str:
    lines = [header]
    for video, clip, text, label, mode in rows:
        lines.append(f'{video},{clip},"{text}",{label},x,{mode}\n')
    return "".join(lines)


def bad_csv_corpus(root: Path) -> list[BadCase]:
    root = root / "csv"
    root.mkdir(parents=True, exist_ok=True)
    cases: list[BadCase] = []

    def case(name: str, content: str | bytes, message: str) -> None:
        path = root / f"{name}.csv"
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        cases.append(BadCase(name, path, message.replace("{path}", str(path))))

    columns = "video_id, clip_id, text, label, mode"
    missing = root / "missing.csv"
    cases.append(BadCase("csv_missing_file", missing, f"{missing}: no such file; check the path"))
    case(
        "csv_missing_column",
        "video_id,clip_id,text,label\nv,1,hi,0.2\n",
        "{path}: no column 'mode' (found: video_id, clip_id, text, label); a label.csv needs the columns " + columns,
    )
    case("csv_header_only", CSV_HEADER, "{path}: no rows after the header; a label.csv needs train and valid rows")
    case("csv_empty_file", "", "{path}: no column 'video_id' (found: nothing); a label.csv needs the columns " + columns)
    case(
        "csv_bad_mode",
        csv_text([*GOOD_CSV_ROWS[:2], ("v9", 1, "hi", 0.2, "dev")]),
        "{path}: line 4 column 'mode' is 'dev'; use train, valid or test",
    )
    case(
        "csv_label_not_number",
        csv_text([*GOOD_CSV_ROWS[:1], ("v9", 1, "hi", "Positive", "train")]),
        "{path}: line 3 column 'label' is 'Positive', not a number",
    )
    case(
        "csv_label_out_of_range",
        csv_text([*GOOD_CSV_ROWS[:3], ("v9", 1, "hi", 3.6, "valid")]),
        "{path}: line 5 column 'label' is 3.6, outside [-3, 3] for text-only",
    )
    case(
        "csv_label_nan",
        csv_text([*GOOD_CSV_ROWS[:3], ("v9", 1, "hi", "nan", "valid")]),
        "{path}: line 5 column 'label' is nan, outside [-3, 3] for text-only",
    )
    case(
        "csv_no_valid",
        csv_text([r for r in GOOD_CSV_ROWS if r[4] != "valid"]),
        "{path}: no 'valid' rows (mode column has: train, test); a label.csv needs train and valid rows (test is optional)",
    )
    case(
        "csv_not_utf8",
        b"video_id,clip_id,text,label,mode\n\xff\xfe\x00\x81 binary\n",
        "{path}: not a UTF-8 CSV file; expected a label.csv with columns " + columns,
    )
    return cases


# --- pickles that would exhaust memory, recurse, hang, or trip a codec (issue 11) ------------------

BOMB_SIZE = 3_000_000_000  # what a 60-byte file asks for: 3 GB


class Reduce:
    """Pickles as ``function(*args)`` (with ``state`` for BUILD): a file that names only allowed
    globals but asks them for something the file does not hold."""

    def __init__(self, function, args, state=None) -> None:
        self.function, self.args, self.state = function, args, state

    def __reduce__(self):
        return (self.function, self.args) if self.state is None else (self.function, self.args, self.state)


def _reconstruct():
    from numpy._core.multiarray import _reconstruct

    return _reconstruct


def deep_list_pickle(depth: int) -> bytes:
    """``[[[...]]]`` ``depth`` levels deep, built with APPEND only (no MARK)."""
    return b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b"."


def bomb_corpus(root: Path) -> list[BadCase]:
    """Each case names only allowed globals (or none) and must be refused in one line, fast and
    without allocating what it asks for."""
    import _codecs
    import struct

    root = root / "mosi_bombs"
    root.mkdir(parents=True, exist_ok=True)
    cases: list[BadCase] = []
    damaged = "refusing to load it: not an MMSA pickle, or a damaged one"

    def case(name: str, obj, message: str, raw: bytes | None = None, protocol: int = 4) -> None:
        path = root / f"{name}.pkl"
        path.write_bytes(raw if raw is not None else pickle.dumps(obj, protocol=protocol))
        cases.append(BadCase(name, path, message.replace("{path}", str(path))))

    case(
        "bytearray_of_a_size",
        Reduce(bytearray, (BOMB_SIZE,)),
        "{path}: asks for a bytearray from a int (only bytes are stored that way); " + damaged,
    )
    case(
        "set_over_range",
        Reduce(set, (range(BOMB_SIZE),)),
        "{path}: asks to fill a set from a range, whose size the file does not hold; " + damaged,
    )
    case(
        "frozenset_over_range",
        Reduce(frozenset, (range(BOMB_SIZE),)),
        "{path}: asks to fill a frozenset from a range, whose size the file does not hold; " + damaged,
    )
    case(
        "ndarray_constructor",
        Reduce(np.ndarray, ((BOMB_SIZE,), np.dtype("u1"))),
        "{path}: asks for an empty numpy array of 3.0 GB, more than its 93 bytes could fill; " + damaged,
    )
    case(
        "reconstruct_of_a_size",
        Reduce(_reconstruct(), (np.ndarray, (BOMB_SIZE // 8,), np.dtype("f8"))),
        "{path}: asks for an empty numpy array of 3.0 GB, more than its 133 bytes could fill; " + damaged,
    )
    case(
        "object_array_state_of_a_size",
        Reduce(_reconstruct(), (np.ndarray, (0,), b"b"), (1, (BOMB_SIZE // 8,), np.dtype("O"), False, [1, 2])),
        "{path}: holds a numpy array whose data does not fit its shape (the shape [375000000] (375,000,000 objects) "
        "with 2 stored); the file is damaged: get a good copy",
    )
    case(
        "impossible_array_shape",
        Reduce(_reconstruct(), (np.ndarray, (0,), b"b"), (1, (4, 5), np.dtype("f4"), False, b"\0" * 12)),
        "{path}: holds a numpy array whose data does not fit its shape (the shape [4, 5] of float32 (80 bytes) with 12 bytes "
        "of data); the file is damaged: get a good copy",
    )
    case(
        "bytearray8_declares_3gb",
        None,
        "{path}: not a pickle, or a truncated one (it ends early); expected an MMSA pickle such as unaligned_50.pkl",
        raw=b"\x80\x05\x96" + struct.pack("<Q", BOMB_SIZE) + b"abc.",
    )
    case(
        "binbytes8_declares_3gb",
        None,
        "{path}: not a pickle, or a truncated one (it ends early); expected an MMSA pickle such as unaligned_50.pkl",
        raw=b"\x80\x04\x8e" + struct.pack("<Q", BOMB_SIZE) + b"abc.",
    )
    case(
        "unknown_codec",
        Reduce(_codecs.encode, ("a", "no-such-codec")),
        "{path}: asks to encode with the codec 'no-such-codec' (pickles only use latin1); " + damaged,
        protocol=2,
    )
    case(
        "expanding_codec",
        Reduce(_codecs.encode, (Reduce(_codecs.encode, ("a", "latin1")), "hex")),
        "{path}: asks to encode with the codec 'hex' (pickles only use latin1); " + damaged,
        protocol=2,
    )
    case(
        "nested_50000_marks",
        None,
        "{path}: nests containers more than 1000 levels deep; " + damaged,
        raw=b"\x80\x02" + b"(" * 50_000 + b"l" * 50_000 + b".",
    )
    case(
        "nested_50000_appends",
        None,
        "{path}: holds a list, not a dict of splits; expected an MMSA pickle with train, valid and test",
        raw=deep_list_pickle(50_000),
    )
    # a valid file whose first raw_text is that list: written with a placeholder, then spliced
    data = small_mmsa()
    placeholder = "NESTED_PLACEHOLDER"
    data["train"]["raw_text"] = np.array([placeholder] + ["x"] * (SIZES["train"] - 1), dtype=object)
    raw = pickle.dumps(data, protocol=2)  # protocol 2: no frames whose lengths the splice would break
    marker = b"X" + len(placeholder).to_bytes(4, "little") + placeholder.encode()
    assert raw.count(marker) == 1
    case(
        "nested_raw_text",
        None,
        "{path}: split 'train' key 'raw_text' holds a list at sample 0; expected a list of strings",
        raw=raw.replace(marker, deep_list_pickle(50_000)[2:-1]),
    )
    return cases


def fifo_case(root: Path) -> BadCase:
    """A FIFO given as data: opening it would block until someone writes."""
    path = root / "mosi_fifo.pkl"
    os.mkfifo(path)
    return BadCase("fifo", path, f"{path}: is not a regular file (a FIFO, device or socket); pass the .pkl file itself")


# --- tampered checkpoints (issue 11) ---------------------------------------------------------------

REMEDY = "the file was edited or damaged; retrain it with senti-tui train"


def tampered_checkpoints(good: Path, root: Path) -> list[BadCase]:
    """Copies of the valid checkpoint ``good`` (an LNLN of the synthetic set, scratch BERT of
    width 128 with 4 heads), each edited in one way, with the exact one-line error."""
    import torch

    root.mkdir(parents=True, exist_ok=True)
    cases: list[BadCase] = []

    def case(name: str, edit, message: str) -> None:
        payload = torch.load(good, map_location="cpu", weights_only=True)
        edit(payload)
        path = root / f"{name}.pt"
        torch.save(payload, path)
        cases.append(BadCase(name, path, message.replace("{path}", str(path))))

    def both_dims(key: str, value):
        def edit(p):
            p["data"]["dims"][key] = value
            p["model_config"]["dims"][key] = value

        return edit

    schema = "{path}: checkpoint {problem}: " + REMEDY

    def bad(problem: str) -> str:
        return schema.replace("{problem}", problem)

    case(
        "negative_dim",
        both_dims("audio_dim", -5),
        bad("'data.dims' audio_dim is -5; it must be a whole number from 1 to 100,000"),
    )
    case(
        "huge_dim",
        both_dims("vision_len", 10**9),
        bad("'data.dims' vision_len is 1000000000; it must be a whole number from 1 to 100,000"),
    )
    case(
        "huge_synthetic_frames",
        both_dims("audio_len", 5000),
        bad("records synthetic data of 5,000 frames (the generator makes at most 1,000)"),
    )
    case(
        "dim_as_text", both_dims("text_len", "50"), bad("'data.dims' text_len is '50'; it must be a whole number from 1 to 4,096")
    )
    case("extra_dims_key", lambda p: p["data"]["dims"].__setitem__("depth_len", 3), bad("'data.dims' has unknown keys depth_len"))
    case("missing_dims_key", lambda p: p["data"]["dims"].pop("vision_dim"), bad("'data.dims' has no vision_dim"))
    case(
        "model_dims_differ",
        lambda p: p["data"]["dims"].__setitem__("audio_len", 40),
        bad("'model_config.dims' differ from 'data.dims'"),
    )
    case(
        "extra_model_config_key",
        lambda p: p["model_config"].__setitem__("bogus", 1),
        bad("'model_config' has options this senti-tui's lnln does not have (bogus)"),
    )
    case("missing_model_config_dims", lambda p: p["model_config"].pop("dims"), bad("'model_config' has no dims"))
    case(
        "negative_width",
        lambda p: p["model_config"].__setitem__("d", -64),
        bad("'model_config.d' is -64; this senti-tui expects a whole number from 0 to 1,000,000"),
    )
    case(
        "float_as_text",
        lambda p: p["model_config"].__setitem__("weight_cc", "0.9"),
        bad("'model_config.weight_cc' is '0.9'; this senti-tui expects a finite number"),
    )
    case("training_not_a_dict", lambda p: p.__setitem__("training", ["lnln"]), bad("'training' is a list, not a dict"))
    case("best_not_a_dict", lambda p: p.__setitem__("best", "epoch 1"), bad("'best' is a str, not a dict"))
    case("epoch_as_text", lambda p: p.__setitem__("epoch", "1"), bad("'epoch' is '1', not a whole number >= 0"))
    case(
        "heads_do_not_divide",
        lambda p: p["text_encoder_config"].__setitem__("num_attention_heads", 3),
        bad("text encoder config has 3 attention heads, which do not divide its width 128"),
    )
    case(
        "bert_vocab_huge",
        lambda p: p["text_encoder_config"].__setitem__("vocab_size", 10**9),
        bad("text encoder config vocab_size is 1000000000; it must be a whole number from 1 to 1,000,000"),
    )
    case(
        "text_hidden_differs",
        lambda p: p["model_config"].__setitem__("text_hidden", 64),
        bad("'model_config.text_hidden' is 64 but the text encoder's width is 128"),
    )
    case(
        "state_dict_not_tensors",
        lambda p: p["state_dict"].__setitem__("x", [1, 2]),
        bad("'state_dict' holds something that is not a named tensor"),
    )
    case(
        "weights_do_not_fit",
        lambda p: p["text_encoder_config"].__setitem__("intermediate_size", 256),
        "{path}: the weights do not fit the lnln model its config describes (text_encoder.bert.encoder.layer.0.intermediate"
        ".dense.bias is [512], the config makes [256]): " + REMEDY,
    )
    case(
        "version_as_text",
        lambda p: p.__setitem__("format_version", "1"),
        "{path}: checkpoint format_version is '1', a str, not a number: " + REMEDY,
    )
    case(
        "newer_version",
        lambda p: p.__setitem__("format_version", 2),
        "{path}: checkpoint format version 2, but this senti-tui reads version 1: retrain it with senti-tui train or use "
        "the senti-tui version that wrote it",
    )
    case(
        "unknown_model",
        lambda p: p.__setitem__("model", "bert"),
        "{path}: is a checkpoint of the model 'bert', which this senti-tui does not build (it builds senti-ifusion, lnln, "
        "dar): open it with the senti-tui version that wrote it",
    )
    return cases


# --- what training would crash on: data check refuses it (issue 11) ------------------------------


def contract_corpus(root: Path) -> list[BadCase]:
    """Files that loaded before but crashed training; ``data check`` is the contract."""
    root = root / "mosi_contract"
    root.mkdir(parents=True, exist_ok=True)
    cases: list[BadCase] = []

    def case(name: str, data, message: str) -> None:
        path = write(root / f"{name}.pkl", data)
        cases.append(BadCase(name, path, message.replace("{path}", str(path))))

    def variant(mutate) -> dict:
        data = copy.deepcopy(small_mmsa())
        mutate(data)
        return data

    def empty_text(d):
        d["valid"]["text_bert"][2, :, :] = 0

    case(
        "empty_text",
        variant(empty_text),
        "{path}: split 'valid' key 'text_bert' has an empty text at sample 2 (attention mask all 0); "
        "every sample needs at least one token, e.g. [CLS]",
    )
    case(
        "token_id_2_to_the_40",
        variant(lambda d: d["train"]["text_bert"].__setitem__((3, 0, 1), 2.0**40)),
        "{path}: split 'train' key 'text_bert' holds token id 1,099,511,627,776 at sample 3, beyond any vocabulary "
        "(ids go up to 262,143); row 0 of text_bert must hold the tokenizer's ids",
    )
    case(
        "token_id_2_to_the_70",
        variant(lambda d: d["train"]["text_bert"].__setitem__((3, 0, 1), 2.0**70)),
        "{path}: split 'train' key 'text_bert' holds values beyond 2**62; token ids must be whole numbers below 262,144",
    )
    case(
        "attention_mask_of_2",
        variant(lambda d: d["test"]["text_bert"].__setitem__((1, 1, 0), 2.0)),
        "{path}: split 'test' key 'text_bert' attention mask (row 1) holds 2; it must be 0 or 1",
    )
    case(
        "complex_labels",
        variant(lambda d: d["train"].__setitem__("regression_labels", d["train"]["regression_labels"] + 1j)),
        "{path}: split 'train' key 'regression_labels' holds complex numbers; expected real numbers",
    )

    vocab = ["[PAD]"] + [f"[unused{i}]" for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad"]

    def with_meta(special=None, largest=None):
        def mutate(d):
            d["synthetic_meta"] = {"vocab": vocab, "special_ids": special or {"pad": 0, "unk": 100, "cls": 101, "sep": 102}}
            for split in SIZES:
                ids = d[split]["text_bert"][:, 0]
                ids[ids >= 1000] = 104  # within the vocabulary
            if largest is not None:
                d["valid"]["text_bert"][1, 0, 1] = largest

        return mutate

    case(
        "token_id_beyond_the_vocab",
        variant(with_meta(largest=500)),
        "{path}: split 'valid' key 'text_bert' holds token id 500 at sample 1, beyond the file's vocabulary of 106 tokens; "
        "row 0 of text_bert must hold the tokenizer's ids",
    )
    case(
        "special_id_1e9",
        variant(with_meta(special={"pad": 0, "unk": 1e9, "cls": 101, "sep": 102})),
        "{path}: key 'synthetic_meta' entry 'special_ids' has unk = 1000000000.0; special ids are token ids, whole numbers "
        "from 0 to 105",
    )
    return cases


def big_field_csv(root: Path) -> BadCase:
    """A 15 MB text field (an unclosed quote does the same)."""
    path = root / "big_field.csv"
    path.write_text(CSV_HEADER + 'v1,1,"' + "x" * 15_000_000 + '",1.0,x,train\n')
    return BadCase(
        "csv_15mb_field",
        path,
        f"{path}: line 2: a field is longer than 131,072 characters; check the quoting "
        "(an unclosed quote makes the rest of the file one field) or shorten the text",
    )
