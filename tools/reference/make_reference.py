#!/usr/bin/python3
"""Write a synthetic GigaAM-layout RNN-T model directory, encoder frames and the expected
greedy-decoding output of GigaAM's own (unbatched) algorithm.

    /usr/bin/python3 tools/reference/make_reference.py --out DIR [--preset char|bpe] ...

DIR/model/config.json        GigaAM config shape (head.decoder, head.joint, decoding)
DIR/model/model.safetensors  head.* tensors with GigaAM's names, in --dtype
DIR/model/tokenizer.model    SentencePiece BPE model (bpe preset; config "model_path")
DIR/frames/uttNNNN.npy       float32 [T, d_model] encoder frames, C order
DIR/expected.jsonl           {"utterance","text","tokens","frames","num_frames","min_margin"}
DIR/reference.json           how the set was made (arguments, calibration, statistics)

Model construction (--structure):
* planted (default): PyTorch default init (torch.manual_seed(seed)) for every tensor, then a
  planted alignment structure so greedy decoding behaves like a trained model. Each non-blank
  token has a code in the joint space; a frame either starts a new token (its encoder
  projection `joint.enc(frame)` is alpha * that token's code + noise; the frame is built with
  the pseudo-inverse of the default-init `joint.enc.weight`), holds the current token (same
  code: the predictor already has it, so the joint says blank) or is noise (blank).
  `joint.pred` maps the predictor output to minus the code(s) of the token(s) it has seen, so
  ReLU(enc + pred) lights the new token's code only; `joint_net.1.weight` = default init +
  beta * codes; the blank bias sits in the middle of the gap between the "emit" and "blank"
  decisions (teacher-forced along the plan). Tokens per frame is set by the rate of
  token-start frames.
  - small vocabularies (char, C-1 <= joint_hidden/2): each token owns a block of joint units;
    `joint.pred` is a least-squares fit to -(code[last] + prev_weight * code[previous]), so a
    frame can also carry two tokens (--double of the start frames) and the decoder emits 2 in
    that frame, then stops;
  - large vocabularies (bpe): codes are the predictor's mean response to each last token seen
    through the default-init `joint.pred`, which is kept (scaled by -alpha, bias re-centred).
  Target token streams come from generated Russian-like text (char: letters, bpe:
  SentencePiece ids of the same text), so decoded texts look like words.
  Why: pure random weights make greedy decoding bursty -- a frame that emits tends to emit
  max_symbols tokens (the frame term dominates, or the predictor cycles).
* random: default init, `joint.pred` scaled by --pred-gain, `joint_net.1.weight` by
  --logit-gain, frames randn * --frame-scale, blank bias found by bisection (batched decoder)
  so the decoder emits --tokens-per-frame. Bursty (many frames hit max_symbols): use it to
  exercise the max_symbols cap.
For bpe, <unk>/<s>/</s> get -30 on their output bias (never emitted).

Every utterance is decoded with GigaAM's unbatched loop on the model as stored (f16/bf16
weights rounded and converted back to f32 first). An utterance whose decisions have a top-1 /
top-2 log-prob gap below --min-margin is regenerated, so float-level differences between
implementations (summation order, fused ops, argmax of logits instead of log_softmax) cannot
flip a decision of the expected output.
"""
import argparse
import itertools
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from batched_greedy import BatchedGreedyDecoder, make_linear  # noqa: E402
from gigaam_rnnt import (  # noqa: E402
    RNNTGreedyDecoding, RNNTHead, Tokenizer, head_state_dict, reference_decode)
from model_io import round_to, write_safetensors  # noqa: E402

LETTERS = "абвгдежзийклмнопрстуфхцчшщъыьэюя"
CHAR_VOCAB = [" "] + list(LETTERS)  # GigaAM v3 char vocabulary: space + 32 letters
VOWELS = "аеиоуыэюя"
ONSETS = "бвгджзклмнпрстфхцчшщ"
CODAS = "йклмнрстшвжзфхцчщбгдп"
IOTATED = "еюя"

PRESETS = {
    "char": dict(d_model=768, pred_hidden=320, joint_hidden=320, layers=1, classes=34),
    "bpe": dict(d_model=768, pred_hidden=320, joint_hidden=320, layers=1, classes=1025),
}


# ---------------------------------------------------------------------------------------
# text
class RussianishText:
    """Random pseudo-Russian words (syllables over the 32 letters), Zipf-distributed."""

    def __init__(self, rng: random.Random, n_words: int = 6000):
        words = set()
        while len(words) < n_words:
            words.add(self._word(rng))
        self.words = sorted(words)
        rng.shuffle(self.words)
        self.cum = list(itertools.accumulate(1.0 / (r + 1) for r in range(n_words)))
        missing = set(LETTERS) - set("".join(self.words))
        if missing:
            raise RuntimeError(f"lexicon lacks letters {sorted(missing)}")

    @staticmethod
    def _word(rng: random.Random) -> str:
        s = ""
        for _ in range(rng.choice((1, 2, 2, 3, 3, 3, 4))):
            r = rng.random()
            if r < 0.02 and s:
                s += "ъ" + rng.choice(IOTATED)
                continue
            if r < 0.85:
                s += rng.choice(ONSETS)
            s += rng.choice(VOWELS)
            r = rng.random()
            if r < 0.25:
                s += rng.choice(CODAS)
            elif r < 0.31:
                s += "ь"
        return s

    def sentence(self, rng: random.Random) -> str:
        return " ".join(rng.choices(self.words, cum_weights=self.cum, k=rng.randint(4, 14)))


def train_bpe(out_path: str, vocab_size: int, text: RussianishText, seed: int) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            for _ in range(20000):
                f.write(text.sentence(rng) + "\n")
        prefix = os.path.join(tmp, "tokenizer")
        cmd = ["spm_train", f"--input={corpus}", f"--model_prefix={prefix}",
               "--model_type=bpe", f"--vocab_size={vocab_size}", "--character_coverage=1.0",
               "--num_threads=2", "--minloglevel=2", f"--random_seed={seed}"]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError("spm_train failed:\n" + res.stderr[-3000:])
        shutil.copyfile(prefix + ".model", out_path)


class TargetStream:
    """Endless token ids of generated sentences, no two equal ids in a row (and, with a
    predictor memory of 2 tokens, no id equal to the one two back: "ABA")."""

    def __init__(self, text: RussianishText, rng: random.Random, encode, memory: int = 1):
        self.text, self.rng, self.encode, self.memory = text, rng, encode, memory
        self.buf, self.hist = [], [None, None]

    def next(self) -> int:
        while not self.buf:
            ids = self.encode(self.text.sentence(self.rng) + " ")
            for i in ids:
                if i != self.hist[-1] and (self.memory < 2 or i != self.hist[-2]):
                    self.buf.append(i)
                    self.hist = [self.hist[-1], i]
            self.buf.reverse()
        return self.buf.pop()


# ---------------------------------------------------------------------------------------
# model
def new_head(a) -> RNNTHead:
    torch.manual_seed(a.seed)
    return RNNTHead(
        dict(pred_hidden=a.pred_hidden, pred_rnn_layers=a.layers, num_classes=a.classes),
        dict(enc_hidden=a.d_model, pred_hidden=a.pred_hidden, joint_hidden=a.joint_hidden,
             num_classes=a.classes)).eval()


def predictor_samples(head: RNNTHead, gen: torch.Generator, lanes: int, steps: int):
    """Predictor outputs along random token sequences, decoded from the empty prefix like
    GigaAM does (step 0 = zero input). Returns outs [steps+1, lanes, P], toks [steps, lanes]
    (outs[s] is the output after toks[s-1])."""
    dec = head.decoder
    C1, P, L = dec.blank_id, dec.pred_hidden, dec.lstm.num_layers
    lstm = dec.lstm
    ih = [make_linear(getattr(lstm, f"weight_ih_l{l}"), getattr(lstm, f"bias_ih_l{l}")) for l in range(L)]
    hh = [make_linear(getattr(lstm, f"weight_hh_l{l}"), getattr(lstm, f"bias_hh_l{l}")) for l in range(L)]
    table = torch.cat([ih[0](dec.embed.weight.detach()), lstm.bias_ih_l0.detach()[None]], 0)
    toks = torch.randint(0, C1, (steps, lanes), generator=gen)
    inputs = torch.cat([torch.full((1, lanes), C1 + 1), toks], 0)  # C1 + 1: the zero input
    h = [torch.zeros(lanes, P) for _ in range(L)]
    c = [torch.zeros(lanes, P) for _ in range(L)]
    outs = []
    for s in range(steps + 1):
        x = None
        for l in range(L):
            gates = hh[l](h[l]) + (table[inputs[s]] if l == 0 else ih[l](x))
            i, f, g, o = gates.chunk(4, 1)
            c[l] = torch.sigmoid(f) * c[l] + torch.sigmoid(i) * torch.tanh(g)
            h[l] = x = torch.sigmoid(o) * torch.tanh(c[l])
        outs.append(x)
    return torch.stack(outs), toks


def plant(head: RNNTHead, a, gen: torch.Generator):
    """Planted alignment structure (see module doc). Returns token codes U [C-1, H], the
    pseudo-inverse of joint.enc.weight used to make frames, and the predictor's memory
    (1: codes of the last token; 2: last and previous token, allows 2 tokens per frame)."""
    joint = head.joint
    H = joint.enc.out_features
    C1 = head.decoder.blank_id
    if C1 <= H // 2:
        # small vocabulary (char): each token owns a block of H // (C-1) joint units (at
        # random positions); joint.pred fitted by least squares so that
        # pred(g) ~ -alpha * (code[last] + prev_weight * code[previous]).
        memory = 2
        bs = H // C1
        perm = torch.randperm(H, generator=gen)
        U = torch.zeros(C1, H)
        for v in range(C1):
            U[v, perm[v * bs:(v + 1) * bs]] = (H / bs) ** 0.5  # RMS 1 per coordinate
        outs, toks = predictor_samples(head, gen, lanes=256, steps=64)
        P = outs.shape[-1]
        Y = torch.zeros(outs.shape[0], outs.shape[1], H)  # outs[0]: empty prefix -> 0
        Y[1:] -= a.alpha * U[toks]
        Y[2:] -= a.alpha * a.prev_weight * U[toks[:-1]]
        X = torch.cat([outs.reshape(-1, P), torch.ones(outs.shape[0] * outs.shape[1], 1)], 1)
        sol = torch.linalg.lstsq(X.double(), Y.reshape(-1, H).double()).solution.float()
        joint.pred.weight.copy_(sol[:P].T)
        joint.pred.bias.copy_(sol[P])
    else:
        # large vocabulary (bpe): codes = the predictor's mean response to each last token
        # seen through the default-init joint.pred, which is kept (scaled by -alpha).
        memory = 1
        outs, toks = predictor_samples(head, gen, lanes=512, steps=80)
        burn = 8
        g = outs[burn + 1:].reshape(-1, outs.shape[-1])
        t = toks[burn:].reshape(-1)
        m = torch.zeros(C1, g.shape[1]).index_add_(0, t, g)
        m /= torch.bincount(t, minlength=C1).clamp(min=1)[:, None]
        mbar = m.mean(0)
        wp = joint.pred.weight.detach().clone()
        r = (m - mbar) @ wp.T  # [C-1, H]
        scale = (H ** 0.5) / r.norm(dim=1).mean()
        U = scale * r
        joint.pred.weight.copy_(-a.alpha * scale * wp)
        joint.pred.bias.add_(a.alpha * scale * (wp @ mbar))
    joint.joint_net[1].weight[:-1].add_(a.beta * U)
    pinv = torch.linalg.pinv(joint.enc.weight.detach().double()).float()  # [D, H]
    return U, pinv, memory


def planted_frames(T: int, stream: "TargetStream", rng: random.Random, gen: torch.Generator,
                   U, pinv, memory: int, a):
    """Frames of one utterance and its plan [(frame, token)] of token starts."""
    q = a.tokens_per_frame
    double = a.double if memory >= 2 else 0.0
    q_start = q / (1 + double)  # start frames; a double frame starts two tokens
    rows, weights, starts = [], [], []
    cur = None
    for t in range(T):
        x = rng.random()
        if x < q_start:
            y1 = stream.next()
            starts.append((t, y1))
            rows.append((t, y1)); weights.append(1.0)
            cur = y1
            if rng.random() < double:
                y2 = stream.next()
                starts.append((t, y2))
                rows.append((t, y2)); weights.append(a.second)
                cur = y2
        elif cur is not None and x < q_start + (1 - q_start) * a.hold:
            rows.append((t, cur)); weights.append(1.0)
    Z = torch.zeros(T, U.shape[1])
    if rows:
        ts = torch.tensor([r[0] for r in rows])
        ys = torch.tensor([r[1] for r in rows])
        Z.index_put_((ts,), a.alpha * torch.tensor(weights)[:, None] * U[ys], accumulate=True)
    noise = torch.randn(T, pinv.shape[0], generator=gen) * a.noise
    return (noise + Z @ pinv.T).contiguous(), starts


@torch.inference_mode()
def planted_blank_bias(head: RNNTHead, plans):
    """Teacher-forced decisions along the plans -> blank bias in the middle of the gap."""
    dec, joint = head.decoder, head.joint
    emit_gap, blank_gap, wrong = [], [], 0
    out = joint.joint_net[1]
    for frames, starts in plans:
        E = joint.enc(frames)
        toks = torch.tensor([y for _, y in starts], dtype=torch.long)
        emb = torch.cat([torch.zeros(1, dec.pred_hidden), dec.embed(toks)], 0)
        g, _ = dec.lstm(emb.unsqueeze(1))
        p = joint.pred(g[:, 0])  # [n+1, H]: after 0..n tokens
        zs, ys, kinds = [], [], []
        i = 0
        for t in range(frames.shape[0]):
            while i < len(starts) and starts[i][0] == t:
                zs.append(E[t] + p[i]); ys.append(starts[i][1]); kinds.append(1)
                i += 1
            zs.append(E[t] + p[i]); ys.append(-1); kinds.append(0)
        hid = torch.relu(torch.stack(zs))
        logits = hid @ out.weight.T + out.bias
        logits[:, -1] -= out.bias[-1]  # blank logit without its bias
        nb = logits[:, :-1]
        blank0 = logits[:, -1]
        for j, (y, kind) in enumerate(zip(ys, kinds)):
            if kind:
                emit_gap.append(float(nb[j, y] - blank0[j]))
                if int(nb[j].argmax()) != y:
                    wrong += 1
            else:
                blank_gap.append(float(nb[j].max() - blank0[j]))
    emit_gap, blank_gap = np.array(emit_gap), np.array(blank_gap)
    lo, hi = np.quantile(emit_gap, 0.005), np.quantile(blank_gap, 0.999)
    stats = dict(emit_gap_q005=float(lo), blank_gap_q999=float(hi),
                 emit_gap_median=float(np.median(emit_gap)),
                 blank_gap_median=float(np.median(blank_gap)),
                 planted_emissions=int(len(emit_gap)), planted_wrong_token=wrong)
    return float((lo + hi) / 2), stats


def round_head(head: RNNTHead, dtype: str) -> None:
    with torch.no_grad():
        for p in head.parameters():
            p.copy_(round_to(p, dtype))


def set_blank_bias(head: RNNTHead, value: float, dtype: str) -> None:
    with torch.no_grad():
        b = head.joint.joint_net[1].bias
        b[-1] = value
        b.copy_(round_to(b, dtype))


def bisect_blank_bias(head, utts, a) -> float:
    """Blank bias such that batched greedy decoding emits ~tokens_per_frame (random mode)."""
    n_frames = sum(u.shape[0] for u in utts)

    def tpf(bias):
        set_blank_bias(head, bias, a.dtype)
        res = BatchedGreedyDecoder(head, a.max_symbols).decode(utts)
        return sum(len(t) for t, _ in res) / n_frames

    lo, hi = -100.0, 100.0  # more bias -> fewer tokens
    for _ in range(40):
        mid = (lo + hi) / 2
        if tpf(mid) > a.tokens_per_frame:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-4:
            break
    return (lo + hi) / 2


# ---------------------------------------------------------------------------------------
_CTX = {}  # state shared with the decoding workers (inherited through fork)


def _decode_utterance(i: int):
    """GigaAM's unbatched greedy decoding of utterance i; regenerate it on a near-tie."""
    c = _CTX
    a, head = c["a"], c["head"]
    torch.set_num_threads(1)
    for attempt in range(100):
        if i < len(c["cal"]) and attempt == 0:
            frames = c["cal"][i][0]
        else:
            frames = c["make_utt"](i, attempt)[0]
        margins = []
        toks, frs = reference_decode(head, frames, a.max_symbols, margins)
        mm = min(margins)
        if mm >= a.min_margin:
            break
    else:
        raise RuntimeError(f"utterance {i}: no frames with margin >= {a.min_margin}")
    name = f"utt{i:04d}"
    np.save(os.path.join(c["frames_dir"], name + ".npy"), frames.numpy().astype(np.float32))
    text = c["tokenizer"].decode(toks)
    if i < 3:  # GigaAM's text-only entry point must agree
        with torch.inference_mode():
            t2 = c["gigaam"]._greedy_decode(head, frames.unsqueeze(1), frames.shape[0])
        assert t2 == text, (t2, text)
    rec = {"utterance": name, "text": text, "tokens": toks, "frames": frs,
           "num_frames": int(frames.shape[0]), "min_margin": round(mm, 6)}
    return rec, int(frames.shape[0]), mm, attempt


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--preset", choices=sorted(PRESETS), default="char")
    ap.add_argument("--d-model", type=int)
    ap.add_argument("--pred-hidden", type=int)
    ap.add_argument("--joint-hidden", type=int)
    ap.add_argument("--layers", type=int)
    ap.add_argument("--classes", type=int)
    ap.add_argument("--utterances", type=int, default=200)
    ap.add_argument("--min-frames", type=int, default=20)
    ap.add_argument("--max-frames", type=int, default=120)
    ap.add_argument("--tokens-per-frame", type=float, default=0.5)
    ap.add_argument("--dtype", choices=("f32", "f16", "bf16"), default="f32")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-symbols", type=int, default=10)
    ap.add_argument("--structure", choices=("planted", "random"), default="planted")
    ap.add_argument("--min-margin", type=float, default=1e-3,
                    help="regenerate an utterance if a decision's top-1/top-2 log-prob gap is "
                         "below this (0 disables)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads of the main process")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                    help="worker processes for the reference decoding (1 thread each)")
    g = ap.add_argument_group("planted structure")
    g.add_argument("--alpha", type=float, default=1.0, help="code amplitude in the joint space")
    g.add_argument("--beta", type=float, default=1.0 / 16, help="code weight in joint_net.1")
    g.add_argument("--hold", type=float, default=0.5,
                   help="share of non-start frames that repeat the current token's code")
    g.add_argument("--noise", type=float, default=0.5, help="frame noise std")
    g.add_argument("--double", type=float, default=0.15,
                   help="share of token-start frames that start two tokens (small vocabularies)")
    g.add_argument("--second", type=float, default=0.7, help="code weight of the second token")
    g.add_argument("--prev-weight", type=float, default=1.5,
                   help="weight of the previous token in the predictor's fitted memory")
    g = ap.add_argument_group("random structure")
    g.add_argument("--frame-scale", type=float, default=1.0)
    g.add_argument("--pred-gain", type=float, default=10.0)
    g.add_argument("--logit-gain", type=float, default=8.0)
    a = ap.parse_args(argv)
    for k, v in PRESETS[a.preset].items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    if not 1 <= a.min_frames <= a.max_frames:
        ap.error("need 1 <= --min-frames <= --max-frames")
    if a.preset == "char" and a.classes - 1 > len(CHAR_VOCAB):
        ap.error(f"char preset has at most {len(CHAR_VOCAB) + 1} classes")
    return a


def main(argv=None):
    a = parse_args(argv)
    t_start = time.perf_counter()
    torch.set_num_threads(a.threads)
    out = a.out
    model_dir, frames_dir = os.path.join(out, "model"), os.path.join(out, "frames")
    for d in (model_dir, frames_dir):
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)

    # tokenizer
    text = RussianishText(random.Random(a.seed))
    decoding = {"_target_": "gigaam.decoding.RNNTGreedyDecoding"}
    special = []
    if a.preset == "bpe":
        tok_path = os.path.join(model_dir, "tokenizer.model")
        train_bpe(tok_path, a.classes - 1, text, a.seed)
        tokenizer = Tokenizer(None, tok_path)
        if len(tokenizer) != a.classes - 1:
            raise RuntimeError(f"tokenizer has {len(tokenizer)} pieces, need {a.classes - 1}")
        sp = tokenizer.model
        special = [i for i in range(len(sp)) if sp.IsControl(i) or sp.IsUnknown(i)]
        encode = lambda s: sp.encode(s)  # noqa: E731
        decoding["model_path"] = "tokenizer.model"
    else:
        vocab = CHAR_VOCAB[:a.classes - 1]
        tokenizer = Tokenizer(vocab)
        index = {ch: i for i, ch in enumerate(vocab)}
        encode = lambda s: [index[ch] for ch in s if ch in index]  # noqa: E731
        decoding["vocabulary"] = vocab
    decoding["max_symbols_per_step"] = a.max_symbols

    # model
    head = new_head(a)
    gen = torch.Generator().manual_seed(a.seed + 1)
    calib = {}
    with torch.no_grad():
        if special:  # never emit <unk>/<s>/</s>: a real model practically does not
            head.joint.joint_net[1].bias[special] -= 30.0
        if a.structure == "planted":
            U, pinv, memory = plant(head, a, gen)
        else:
            head.joint.pred.weight.mul_(a.pred_gain)
            head.joint.pred.bias.mul_(a.pred_gain)
            head.joint.joint_net[1].weight.mul_(a.logit_gain)

    def make_utt(i: int, attempt: int):
        ss = np.random.SeedSequence([a.seed, i, attempt]).generate_state(2)
        rng = random.Random(int(ss[0]))
        g = torch.Generator().manual_seed(int(ss[1]))
        T = rng.randint(a.min_frames, a.max_frames)
        if a.structure == "planted":
            stream = TargetStream(text, rng, encode, memory)
            return planted_frames(T, stream, rng, g, U, pinv, memory, a)
        return (torch.randn(T, a.d_model, generator=g) * a.frame_scale).contiguous(), None

    ncal = min(a.utterances, 64)
    cal = [make_utt(i, 0) for i in range(ncal)]
    if a.structure == "planted":
        bias, calib = planted_blank_bias(head, cal)
        if calib["emit_gap_median"] <= calib["blank_gap_median"]:
            print(f"warning: emit/blank decisions overlap: {calib}", file=sys.stderr)
        round_head(head, a.dtype)
        set_blank_bias(head, bias, a.dtype)
    else:
        round_head(head, a.dtype)
        bias = bisect_blank_bias(head, [f for f, _ in cal], a)
        set_blank_bias(head, bias, a.dtype)
    calib["blank_bias"] = float(head.joint.joint_net[1].bias[-1])

    # write the model
    with open(os.path.join(model_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump({
            "model_name": f"synthetic_{a.preset}_rnnt",
            "encoder": {"d_model": a.d_model},
            "head": {
                "_target_": "gigaam.decoder.RNNTHead",
                "decoder": {"pred_hidden": a.pred_hidden, "pred_rnn_layers": a.layers,
                            "num_classes": a.classes},
                "joint": {"enc_hidden": a.d_model, "pred_hidden": a.pred_hidden,
                          "joint_hidden": a.joint_hidden, "num_classes": a.classes},
            },
            "decoding": decoding,
        }, f, ensure_ascii=False, indent=2)
        f.write("\n")
    tdt = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[a.dtype]
    write_safetensors(os.path.join(model_dir, "model.safetensors"),
                      {k: v.to(tdt) for k, v in head_state_dict(head).items()},
                      metadata={"format": "pt"})

    # frames + expected output (GigaAM's unbatched loop on the stored weights)
    _CTX.update(a=a, head=head, cal=cal, make_utt=make_utt, tokenizer=tokenizer,
                frames_dir=frames_dir,
                gigaam=RNNTGreedyDecoding(
                    tokenizer.vocab if tokenizer.charwise else None,
                    None if tokenizer.charwise else os.path.join(model_dir, "tokenizer.model"),
                    a.max_symbols))
    jobs = max(1, min(a.jobs, a.utterances))
    if jobs > 1:
        pool = multiprocessing.get_context("fork").Pool(jobs)
        results = pool.imap(_decode_utterance, range(a.utterances), chunksize=2)
    else:
        pool, results = None, map(_decode_utterance, range(a.utterances))
    n_frames = n_tokens = regenerated = capped = 0
    multi = 0
    worst = float("inf")
    with open(os.path.join(out, "expected.jsonl"), "w", encoding="utf-8") as fo:
        for rec, nf, mm, regen in results:
            fo.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n_frames += nf
            n_tokens += len(rec["tokens"])
            regenerated += regen
            worst = min(worst, mm)
            per = np.bincount(rec["frames"]) if rec["frames"] else np.zeros(1, dtype=int)
            capped += int((per >= a.max_symbols).sum())
            multi += int((per >= 2).sum())
    if pool is not None:
        pool.close()
        pool.join()

    secs = time.perf_counter() - t_start
    stats = dict(utterances=a.utterances, frames=n_frames, tokens=n_tokens,
                 tokens_per_frame=n_tokens / n_frames, regenerated=regenerated,
                 frames_with_2plus_tokens=multi, frames_at_max_symbols=capped, min_margin=worst, seconds=round(secs, 2))
    with open(os.path.join(out, "reference.json"), "w", encoding="utf-8") as f:
        json.dump({"args": vars(a), "calibration": calib, "stats": stats}, f,
                  ensure_ascii=False, indent=2)
        f.write("\n")
    print(f"make_reference: {a.preset}/{a.structure} {a.dtype} C={a.classes}: "
          f"{a.utterances} utterances, {n_frames} frames, {n_tokens} tokens "
          f"({n_tokens / n_frames:.3f} tokens/frame; frames with >=2 tokens {multi}, "
          f"at max_symbols {capped}), "
          f"blank bias {calib['blank_bias']:.3f}, min margin {worst:.4f}, "
          f"{regenerated} regenerated, {secs:.1f} s -> {out}")


if __name__ == "__main__":
    main()
