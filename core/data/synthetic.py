"""The embedded synthetic data set: MOSI-shaped, deterministic per seed, generated in well under 2 s.

Why it looks like this (product.md -> Data -> Synthetic):

Labels. Each split gets ~55% positive, ~42% negative and ~3% exactly-zero labels (counts fixed
per split, order shuffled); magnitudes are means of five integer ratings, i.e. multiples of 0.2
in [-3, 3].

Cues. Every label y is split into three modality contributions y ≈ T + A + V with T = f_t·y,
A = f_a·y, V = f_v·y. The fractions f depend on the utterance's kind:

- ``aligned`` (most): f ~ Dirichlet around means chosen so that, over the whole set, the
  covariance shares Cov(T, y)/Var(y) etc. are ~60% text, 20% audio, 20% vision;
- ``text-neutral`` (~15%): f_t = 0 and the sentiment lives in audio and vision only;
- ``conflict`` (~10%): one modality points the other way (text contradicted by audio+vision,
  e.g. sarcasm, or audio or vision contradicting a dominant text);
- ``zero``: labels that are exactly 0 carry no cue at all.

Text. A small grammar writes English-like utterances whose sentiment *score* approximates T:
sentiment adjectives and verbs with strengths 1-3, intensifiers (x1.5), downtoners (x0.5),
negation (a mild opposite: "not good" -0.5, "not terrible" +0.5, "not really good" -0.75), contrast
("X, but Y": 0.2·X + 0.8·Y, the second clause dominates), agreeing pairs ("X and Y": the mean),
neutral filler and openers; text-neutral and zero utterances contain no sentiment word at all.
The residual T - score is label noise no modality explains.

Audio and vision. Variable-length sequences (frames ∝ words) of unit Gaussian noise plus a
per-speaker offset; the contribution A (V) is added, scaled by per-channel gains and by the
speaker's expressiveness, to a few cue channels over 1-3 contiguous segments; everything else is
noise. Padding frames are zero.

Speakers. ~93 "videos" (52/10/31 over train/valid/test, disjoint as in MOSI), ids
``video$_$clip``.

Vocabulary. Token ids mimic BERT's special ids ([PAD] 0, [UNK] 100, [CLS] 101, [SEP] 102,
[MASK] 103, ids 1-99 "[unusedN]") so the missingness module works unchanged; words start at 104.
The vocabulary is fixed (independent of the seed) and stored in ``MSADataset.vocab``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from core.data.dataset import BERT_SPECIAL_TOKENS, SPLITS, FeatureDims, MSADataset, SpecialIds, Split
from core.data.fingerprint import fingerprint_splits

# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------

KIND_ALIGNED, KIND_TEXT_NEUTRAL, KIND_CONFLICT, KIND_ZERO = 0, 1, 2, 3
KIND_NAMES = ("aligned", "text-neutral", "conflict", "zero")


@dataclass(frozen=True)
class SyntheticConfig:
    """Knobs of the generator. Defaults give MOSI's aligned shapes (L = T_a = T_v = 50).

    ``audio_len``/``vision_len`` are the padded frame counts; 50 keeps the CPU demo cheap, while
    375/500 reproduces unaligned MOSI's shapes (the masking benchmark uses those).
    """

    seed: int = 0
    sizes: tuple[int, int, int] = (1284, 229, 686)
    videos: tuple[int, int, int] = (52, 10, 31)  # 93 speakers, disjoint across splits
    text_len: int = 50
    audio_len: int = 50
    vision_len: int = 50
    audio_dim: int = 5
    vision_dim: int = 20
    polarity: tuple[float, float, float] = (0.55, 0.42, 0.03)  # positive, negative, exactly zero
    text_neutral: float = 0.15  # fraction of ALL utterances
    conflict: float = 0.10  # fraction of ALL utterances
    shares: tuple[float, float, float] = (0.6, 0.2, 0.2)  # covariance shares text/audio/vision
    dirichlet_concentration: float = 20.0
    cue_gain: float = 2.5  # feature units per label unit of a modality's contribution
    speaker_offset_std: float = 0.7
    noise_std: float = 1.0
    audio_cue_channels: tuple[tuple[int, float], ...] = ((0, 1.0), (1, -0.8))
    vision_cue_channels: tuple[tuple[int, float], ...] = ((3, 1.0), (7, -1.0), (12, 0.7), (15, -0.6))


# ---------------------------------------------------------------------------------------------
# Vocabulary and grammar
# ---------------------------------------------------------------------------------------------

POSITIVE_ADJECTIVES = {
    1: ("good", "nice", "decent", "fine", "pleasant", "cute"),
    2: ("great", "funny", "enjoyable", "clever", "beautiful", "exciting"),
    3: ("amazing", "brilliant", "fantastic", "excellent", "wonderful", "awesome"),
}
NEGATIVE_ADJECTIVES = {
    1: ("bad", "weird", "slow", "bland", "silly", "messy"),
    2: ("boring", "stupid", "annoying", "disappointing", "dull", "ugly"),
    3: ("terrible", "awful", "horrible", "pathetic", "dreadful", "atrocious"),
}
# (past tense, base form) for "i liked it" / "i did not like it".
POSITIVE_VERBS = {1: (("liked", "like"),), 2: (("enjoyed", "enjoy"),), 3: (("loved", "love"), ("adored", "adore"))}
NEGATIVE_VERBS = {1: (("disliked", "dislike"),), 2: (("regretted", "regret"),), 3: (("hated", "hate"), ("despised", "despise"))}
INTENSIFIERS = ("really", "very", "so", "extremely", "incredibly", "super", "totally")
DOWNTONERS = ("somewhat", "slightly", "fairly", "kinda", "mildly", "rather")
VERB_INTENSIFIERS = ("really", "totally", "absolutely")  # "i so loved it" is not English
VERB_DOWNTONERS = ("kinda", "somewhat", "mildly", "rather")
NEGATIONS = ("not", "never")
COPULAS = ("was", "is", "felt", "seemed")
SUBJECTS = (
    "the movie",
    "the film",
    "it",
    "the acting",
    "the plot",
    "the story",
    "the ending",
    "the music",
    "the soundtrack",
    "the dialogue",
    "the script",
    "the pacing",
    "the cinematography",
    "the humor",
    "the main character",
    "the villain",
    "this movie",
    "the first half",
)
OBJECTS = ("it", "the movie", "the ending", "the story", "the characters", "the music", "this film", "the whole thing")
OPENERS = ("um", "uh", "so", "well", "okay", "anyway", "honestly", "basically", "i mean", "you know")
TIMES = (
    "last week",
    "on friday",
    "yesterday",
    "last night",
    "over the weekend",
    "a while ago",
    "in the theater",
    "at home",
    "this morning",
    "on sunday",
)
PEOPLE = ("friends", "sister", "brother", "wife", "husband", "kids", "parents", "roommate", "cousin", "girlfriend")
CHARACTERS = ("girl", "guy", "cop", "doctor", "family", "robot", "soldier", "teacher", "detective", "kid", "lawyer", "pilot")
ACTIONS = (
    "moves to a new town",
    "finds a map",
    "loses his job",
    "goes back home",
    "meets a stranger",
    "gets lost in the woods",
    "tries to escape",
    "looks for her father",
    "joins the army",
    "opens a restaurant",
    "travels to paris",
)
GENRES = ("horror", "comedy", "action", "romance", "drama", "thriller", "animated", "sci fi")
NAMES = ("tom", "emma", "john", "sarah", "mike", "anna", "chris", "julia", "david", "kate")
NEUTRAL_TEMPLATES = (
    "i saw it {time}",
    "i watched it {time} with my {person}",
    "we went to see it {time}",
    "it is about a {character} who {action}",
    "there is this {character} who {action}",
    "the {character} {action}",
    "it came out {time}",
    "i went with my {person}",
    "it is a {genre} movie",
    "it is directed by {name}",
    "{name} plays the {character}",
    "i read the book {time}",
    "it runs about two hours",
    "my {person} told me about it",
)
SLOTS = {"time": TIMES, "person": PEOPLE, "character": CHARACTERS, "action": ACTIONS, "genre": GENRES, "name": NAMES}

MODIFIER_FACTORS = {"down": 0.5, "none": 1.0, "up": 1.5}
STRENGTH_UNIT = 0.6  # score of a bare strength-1 word, in label units
MODIFIER_WEIGHTS = {"down": 1.0, "none": 3.0, "up": 1.5}
NEGATED_VALUES = {"none": 0.5, "up": 0.75}  # |score| of "not X" / "not really X", whatever X's strength
CONTRAST_WEIGHTS = (0.2, 0.8)  # "X, but Y": the second clause dominates

FIRST_WORD_ID = 104  # after BERT's special ids ([MASK] is 103)


def _all_words() -> list[str]:
    words: set[str] = {",", "and", "but", "i", "did"}
    groups: list[tuple[str, ...]] = [
        INTENSIFIERS,
        DOWNTONERS,
        VERB_INTENSIFIERS,
        VERB_DOWNTONERS,
        NEGATIONS,
        COPULAS,
        SUBJECTS,
        OBJECTS,
        OPENERS,
        NEUTRAL_TEMPLATES,
    ]
    groups += list(SLOTS.values())
    table: dict[int, tuple]  # adjectives, then verb pairs
    for table in (POSITIVE_ADJECTIVES, NEGATIVE_ADJECTIVES):
        groups += list(table.values())
    for table in (POSITIVE_VERBS, NEGATIVE_VERBS):
        groups += [tuple(w for pair in pairs for w in pair) for pairs in table.values()]
    for group in groups:
        for phrase in group:
            words.update(w for w in phrase.split() if not w.startswith("{"))
    return sorted(words)


def build_vocab() -> list[str]:
    """Token strings by id: BERT's special ids, "[unusedN]" for 1..99, then the words."""
    vocab = [BERT_SPECIAL_TOKENS.get(i, f"[unused{i - 1}]") for i in range(FIRST_WORD_ID)]
    return vocab + _all_words()


VOCAB: list[str] = build_vocab()
TOKEN_ID: dict[str, int] = {token: i for i, token in enumerate(VOCAB)}


@dataclass(frozen=True)
class Phrase:
    """One sentiment phrase: a (possibly negated/modified) adjective or verb and its score."""

    frame: str  # "adj" or "verb"
    sign: int
    strength: int
    modifier: str  # "down" | "none" | "up"
    negated: bool

    @property
    def value(self) -> float:
        if self.negated:  # "not good" is mildly negative, "not terrible" mildly positive
            return -self.sign * NEGATED_VALUES[self.modifier]
        return self.sign * STRENGTH_UNIT * self.strength * MODIFIER_FACTORS[self.modifier]


def _phrase_inventory() -> list[Phrase]:
    phrases = []
    for frame in ("adj", "verb"):
        for sign in (1, -1):
            for strength in (1, 2, 3):
                for modifier in ("down", "none", "up"):
                    for negated in (False, True):
                        if negated and modifier == "down":  # "not somewhat good" is not English
                            continue
                        phrases.append(Phrase(frame, sign, strength, modifier, negated))
    return phrases


PHRASES = _phrase_inventory()


def _choose_phrase(rng: random.Random, target: float, tolerance: float = 0.3, negation: float = 0.25) -> Phrase:
    """A phrase whose value is near ``target``: random among those within tolerance, else nearest.

    Negation is tried for a minority of phrases (``negation``; it only fits mild targets), as in
    speech; adjective frames are three times as likely as verb frames, and bare words more likely
    than intensified, more likely than downtoned ones.
    """
    negate = rng.random() < negation
    pool = [p for p in PHRASES if p.negated == negate]
    close = [p for p in pool if abs(p.value - target) <= tolerance]
    if not close and negate:
        pool = [p for p in PHRASES if not p.negated]
        close = [p for p in pool if abs(p.value - target) <= tolerance]
    if not close:
        return min(pool, key=lambda p: (abs(p.value - target), p.frame))
    weights = [(3.0 if p.frame == "adj" else 1.0) * MODIFIER_WEIGHTS[p.modifier] for p in close]
    return rng.choices(close, weights=weights)[0]


def _render_phrase(rng: random.Random, phrase: Phrase) -> list[str]:
    verb = phrase.frame == "verb"
    modifier = []
    if phrase.modifier == "up":
        modifier = [rng.choice(VERB_INTENSIFIERS if verb else INTENSIFIERS)]
    elif phrase.modifier == "down":
        modifier = [rng.choice(VERB_DOWNTONERS if verb else DOWNTONERS)]
    if not verb:
        table: dict[int, tuple] = POSITIVE_ADJECTIVES if phrase.sign > 0 else NEGATIVE_ADJECTIVES  # adjectives, then verb pairs
        if phrase.negated:  # "felt not good" is not English
            words = [*rng.choice(SUBJECTS).split(), rng.choice(("was", "is")), "not"]
        else:
            words = [*rng.choice(SUBJECTS).split(), rng.choice(COPULAS)]
        return words + modifier + [rng.choice(table[phrase.strength])]
    table = POSITIVE_VERBS if phrase.sign > 0 else NEGATIVE_VERBS
    past, base = rng.choice(table[phrase.strength])
    obj = rng.choice(OBJECTS).split()
    if phrase.negated:
        if not modifier and rng.random() < 0.5:
            return ["i", "never", past, *obj]
        return ["i", "did", "not"] + (["really"] if modifier else []) + [base] + obj
    return ["i", *modifier, past, *obj]


def _neutral_clause(rng: random.Random) -> list[str]:
    template = rng.choice(NEUTRAL_TEMPLATES)
    for slot, options in SLOTS.items():
        key = "{" + slot + "}"
        if key in template:
            template = template.replace(key, rng.choice(options))
    return template.split()


def _sentiment_clauses(rng: random.Random, target: float) -> tuple[list[list[str]], float]:
    """Sentiment clauses expressing ``target`` and the score they actually carry."""
    roll = rng.random()
    if roll < 0.65:  # one phrase
        phrase = _choose_phrase(rng, target)
        return [_render_phrase(rng, phrase)], phrase.value
    if roll < 0.85:  # two agreeing phrases: the score is their mean
        first = _choose_phrase(rng, target + rng.uniform(-0.5, 0.5))
        second = _choose_phrase(rng, 2.0 * target - first.value)
        clause = [*_render_phrase(rng, first), "and", *_render_phrase(rng, second)]
        return [clause], 0.5 * (first.value + second.value)
    # contrast: "X, but Y"; X points the other way, Y dominates
    sign = 1.0 if target >= 0 else -1.0
    first = _choose_phrase(rng, -sign * rng.uniform(0.5, 2.0))
    w_first, w_second = CONTRAST_WEIGHTS
    second = _choose_phrase(rng, (target - w_first * first.value) / w_second)
    clause = [*_render_phrase(rng, first), ",", "but", *_render_phrase(rng, second)]
    return [clause], w_first * first.value + w_second * second.value


def compose_utterance(rng: random.Random, target: float, max_words: int) -> tuple[list[str], float]:
    """Words of one utterance whose sentiment score approximates ``target`` (0 -> no sentiment)."""
    if target == 0.0:
        clauses, score = [_neutral_clause(rng) for _ in range(rng.choice((1, 1, 2, 2, 3)))], 0.0
    else:
        clauses, score = _sentiment_clauses(rng, target)
        for _ in range(rng.choice((0, 0, 1, 1, 2))):  # neutral filler before or after
            position = rng.choice((0, len(clauses)))
            clauses.insert(position, _neutral_clause(rng))
    words = rng.choice(OPENERS).split() if rng.random() < 0.35 else []
    for clause in clauses:
        if len(words) + len(clause) > max_words and words:  # drop filler rather than truncate cues
            continue
        words += clause
    return words[:max_words], score


def render_text(words: list[str]) -> str:
    return " ".join(words).replace(" ,", ",")


# ---------------------------------------------------------------------------------------------
# Labels, kinds, contributions
# ---------------------------------------------------------------------------------------------


@dataclass
class SplitTruth:
    """What the generator knows about each utterance (for tests, benchmarks and curious users)."""

    kind: np.ndarray  # int8 [N]: KIND_* codes
    contributions: np.ndarray  # float [N,3]: target T, A, V in label units
    text_score: np.ndarray  # float [N]: the score the text actually carries
    speaker: np.ndarray  # int [N]: index of the video within the split


@dataclass
class SyntheticResult:
    dataset: MSADataset
    truth: dict[str, SplitTruth] = field(default_factory=dict)


def _labels(rng: np.random.Generator, n: int, polarity: tuple[float, float, float]) -> np.ndarray:
    """Multiples of 0.2 in [-3, 3] with exact polarity counts (means of five integer ratings)."""
    n_pos = round(polarity[0] * n)
    n_zero = round(polarity[2] * n)
    n_neg = n - n_pos - n_zero
    mean_rating = rng.uniform(0.1, 2.7, size=n)
    rating_sum = np.clip(np.rint(5.0 * mean_rating + rng.normal(0.0, 1.0, size=n)), 1, 15)
    sign = np.concatenate([np.ones(n_pos), -np.ones(n_neg), np.zeros(n_zero)])
    return (rng.permutation(sign) * rating_sum / 5.0).astype(np.float64)


def _kind_fractions(config: SyntheticConfig) -> np.ndarray:
    """Probabilities of aligned / text-neutral / conflict among NON-zero labels."""
    nonzero = 1.0 - config.polarity[2]
    p_neutral, p_conflict = config.text_neutral / nonzero, config.conflict / nonzero
    return np.array([1.0 - p_neutral - p_conflict, p_neutral, p_conflict])


# Mean fractions of the two non-aligned kinds (see _fractions): used to solve for the aligned mean.
_NEUTRAL_MEAN = np.array([0.0, 0.5, 0.5])
_CONFLICT_MEAN = 0.5 * np.array([-0.45, 0.725, 0.725]) + 0.5 * np.array([1.1, -0.05, -0.05])


def _aligned_mean(config: SyntheticConfig) -> np.ndarray:
    """Aligned-kind mean fractions so that the overall covariance shares equal ``config.shares``."""
    p_aligned, p_neutral, p_conflict = _kind_fractions(config)
    mean = (np.asarray(config.shares) - p_neutral * _NEUTRAL_MEAN - p_conflict * _CONFLICT_MEAN) / p_aligned
    return np.clip(mean, 0.02, None) / np.clip(mean, 0.02, None).sum()


def _fractions(rng: np.random.Generator, kind: np.ndarray, config: SyntheticConfig) -> np.ndarray:
    """f [N,3] with T = f_t·y, A = f_a·y, V = f_v·y; rows sum to 1 (0 for zero labels)."""
    n: int = kind.shape[0]
    fractions = rng.dirichlet(config.dirichlet_concentration * _aligned_mean(config), size=n)
    # text-neutral: no text, audio and vision share the sentiment
    w = rng.uniform(0.3, 0.7, size=n)
    neutral = np.stack([np.zeros(n), w, 1.0 - w], axis=1)
    # conflict: half "text contradicted by audio+vision" (sarcasm), half "audio or vision
    # contradicts a dominant text"
    text_against = -rng.uniform(0.3, 0.6, size=n)
    rest = 1.0 - text_against
    against_text = np.stack([text_against, w * rest, (1.0 - w) * rest], axis=1)
    nonverbal_against = -rng.uniform(0.2, 0.4, size=n)
    nonverbal_with = rng.uniform(0.1, 0.3, size=n)
    audio_is_against = rng.random(n) < 0.5
    a = np.where(audio_is_against, nonverbal_against, nonverbal_with)
    v = np.where(audio_is_against, nonverbal_with, nonverbal_against)
    against_nonverbal = np.stack([1.0 - a - v, a, v], axis=1)
    conflict = np.where((rng.random(n) < 0.5)[:, None], against_text, against_nonverbal)
    fractions = np.where((kind == KIND_TEXT_NEUTRAL)[:, None], neutral, fractions)
    fractions = np.where((kind == KIND_CONFLICT)[:, None], conflict, fractions)
    fractions[kind == KIND_ZERO] = 0.0
    return fractions


# ---------------------------------------------------------------------------------------------
# Features
# ---------------------------------------------------------------------------------------------


def _cue_envelope(rng: np.random.Generator, lengths: np.ndarray, steps: int) -> np.ndarray:
    """[N,steps] 0/1: 1-3 contiguous segments, each 10-30% of the sample's length."""
    n = lengths.shape[0]
    count = rng.choice([1, 2, 3], size=n, p=[0.4, 0.4, 0.2])
    seg_len = np.maximum(2, np.rint(rng.uniform(0.1, 0.3, size=(n, 3)) * lengths[:, None])).astype(np.int64)
    seg_len = np.minimum(seg_len, lengths[:, None])
    start = np.floor(rng.random((n, 3)) * (lengths[:, None] - seg_len + 1)).astype(np.int64)
    t = np.arange(steps)[None, :, None]
    inside = (t >= start[:, None, :]) & (t < (start + seg_len)[:, None, :]) & (np.arange(3) < count[:, None])[:, None, :]
    return inside.any(axis=2)


def _frames(
    rng: np.random.Generator,
    contribution: np.ndarray,
    lengths: np.ndarray,
    steps: int,
    dim: int,
    cue_channels: tuple[tuple[int, float], ...],
    speaker_offset: np.ndarray,
    expressiveness: np.ndarray,
    config: SyntheticConfig,
) -> np.ndarray:
    """float32 [N,steps,dim]: noise + speaker offset on real frames, the cue in a few channels and
    segments, zero padding. Only real frames are drawn (they are ~1/3 of the padded array)."""
    n = contribution.shape[0]
    rows = np.flatnonzero(np.arange(steps)[None, :] < lengths[:, None])  # real frames, flat
    sample = rows // steps
    frames = rng.standard_normal((rows.shape[0], dim), dtype=np.float32)
    if config.noise_std != 1.0:
        frames *= np.float32(config.noise_std)
    frames += speaker_offset.astype(np.float32)[sample]
    envelope = _cue_envelope(rng, lengths, steps).reshape(-1)[rows]
    strength = (config.cue_gain * contribution * expressiveness).astype(np.float32)[sample] * envelope
    for channel, gain in cue_channels:
        frames[:, channel] += np.float32(gain) * strength
    out = np.zeros((n * steps, dim), dtype=np.float32)
    out[rows] = frames
    return out.reshape(n, steps, dim)


def _frame_lengths(rng: np.random.Generator, words: np.ndarray, steps: int, text_len: int) -> np.ndarray:
    """Frames ∝ spoken words (+[CLS]/[SEP], as word-aligned features), jittered, within [4, steps]."""
    scale = steps / text_len
    jitter = rng.uniform(0.85, 1.15, size=words.shape[0])
    return np.clip(np.rint((words + 2) * scale * jitter), min(4, steps), steps).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------

_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _video_names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    while len(names) < count:
        name = "".join(rng.choice(_ID_ALPHABET) for _ in range(11))
        if name not in names:
            names.append(name)
    return names


def _clips_per_video(rng: np.random.Generator, n: int, videos: int) -> np.ndarray:
    return 1 + rng.multinomial(n - videos, rng.dirichlet(np.full(videos, 2.0)))


def _split(
    name: str, n: int, videos: int, video_names: list[str], config: SyntheticConfig, seed: int
) -> tuple[Split, SplitTruth]:
    rng = np.random.default_rng(seed)
    text_rng = random.Random(seed)

    clips = _clips_per_video(rng, n, videos)
    speaker = np.repeat(np.arange(videos), clips)
    ids = [f"{video_names[s]}$_${c + 1}" for s, count in enumerate(clips) for c in range(count)]

    labels = _labels(rng, n, config.polarity)
    kind = rng.choice(3, size=n, p=_kind_fractions(config)).astype(np.int8)
    kind[labels == 0] = KIND_ZERO
    contributions = _fractions(rng, kind, config) * labels[:, None]

    tokens = np.zeros((n, 3, config.text_len), dtype=np.int64)
    raw_text, text_score, n_words = [], np.zeros(n), np.zeros(n, dtype=np.int64)
    for i in range(n):
        target = float(contributions[i, 0]) if kind[i] not in (KIND_TEXT_NEUTRAL, KIND_ZERO) else 0.0
        words, text_score[i] = compose_utterance(text_rng, target, config.text_len - 2)
        raw_text.append(render_text(words))
        row = [SpecialIds.cls] + [TOKEN_ID[w] for w in words] + [SpecialIds.sep]
        tokens[i, 0, : len(row)] = row
        tokens[i, 1, : len(row)] = 1
        n_words[i] = len(words)

    speaker_audio = rng.normal(0.0, config.speaker_offset_std, size=(videos, config.audio_dim))
    speaker_vision = rng.normal(0.0, config.speaker_offset_std, size=(videos, config.vision_dim))
    expressiveness = rng.uniform(0.7, 1.3, size=videos)[speaker]
    audio_lengths = _frame_lengths(rng, n_words, config.audio_len, config.text_len)
    vision_lengths = _frame_lengths(rng, n_words, config.vision_len, config.text_len)
    audio = _frames(
        rng,
        contributions[:, 1],
        audio_lengths,
        config.audio_len,
        config.audio_dim,
        config.audio_cue_channels,
        speaker_audio[speaker],
        expressiveness,
        config,
    )
    vision = _frames(
        rng,
        contributions[:, 2],
        vision_lengths,
        config.vision_len,
        config.vision_dim,
        config.vision_cue_channels,
        speaker_vision[speaker],
        expressiveness,
        config,
    )
    split = Split(
        name=name,
        ids=ids,
        raw_text=raw_text,
        text_bert=tokens,
        audio=audio,
        audio_lengths=audio_lengths,
        vision=vision,
        vision_lengths=vision_lengths,
        labels=labels.astype(np.float32),
    )
    return split, SplitTruth(kind=kind, contributions=contributions, text_score=text_score, speaker=speaker)


def _check(config: SyntheticConfig) -> None:
    for channel, _ in config.audio_cue_channels:
        assert 0 <= channel < config.audio_dim, "audio cue channel outside audio_dim"
    for channel, _ in config.vision_cue_channels:
        assert 0 <= channel < config.vision_dim, "vision cue channel outside vision_dim"
    for n, videos in zip(config.sizes, config.videos):
        assert 1 <= videos <= n, "each split needs at least one utterance per video"


def synthesize(config: SyntheticConfig = SyntheticConfig()) -> SyntheticResult:
    """The data set and the generator's ground truth (kinds, contributions, text scores)."""
    _check(config)
    seeds = np.random.SeedSequence(config.seed).generate_state(len(SPLITS) + 1)
    names = _video_names(random.Random(int(seeds[-1])), sum(config.videos))
    splits, truth, first = {}, {}, 0
    for index, name in enumerate(SPLITS):
        videos = config.videos[index]
        split, split_truth = _split(name, config.sizes[index], videos, names[first : first + videos], config, int(seeds[index]))
        splits[name], truth[name], first = split, split_truth, first + videos
    dataset = MSADataset(
        name="synthetic",
        source=f"synthetic:seed={config.seed}",
        synthetic=True,
        splits=splits,
        dims=FeatureDims(config.text_len, config.audio_len, config.audio_dim, config.vision_len, config.vision_dim),
        special_ids=SpecialIds(),
        vocab=list(VOCAB),
        fingerprint=fingerprint_splits(splits),  # what every loader computes, so a written copy matches
    )
    return SyntheticResult(dataset=dataset, truth=truth)


def generate_synthetic(seed: int = 0, audio_len: int = 50, vision_len: int = 50) -> MSADataset:
    """The embedded synthetic data set (MOSI-shaped; aligned length 50 by default)."""
    return synthesize(SyntheticConfig(seed=seed, audio_len=audio_len, vision_len=vision_len)).dataset
