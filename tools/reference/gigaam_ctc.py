#!/usr/bin/python3
"""GigaAM's CTC head and greedy CTC decoding, and a synthetic CTC model directory with the
expected output, for Svod's CTC tests.

    /usr/bin/python3 tools/reference/gigaam_ctc.py --out DIR [--preset small|char|bpe] ...

The torch code follows salute-developers/GigaAM (gigaam/decoder.py CTCHead,
gigaam/decoding.py CTCGreedyDecoding) in everything that affects the numbers:
* CTCHead: ``decoder_layers = Sequential(Conv1d(feat_in, num_classes, kernel_size=1))`` on
  encoder output [B, d_model, T], transposed to [B, T, C], ``log_softmax`` over C. Tensor
  names in a checkpoint: ``head.decoder_layers.0.weight`` [C, d_model, 1] and ``.bias`` [C].
* CTCGreedyDecoding: blank = len(tokenizer) = C - 1; labels = argmax over log-probs (first
  index on ties); a frame emits when its label is not blank and differs from the previous
  frame's label (so "a blank a" emits a twice, "a a" once). The frame of a token is the
  frame where it is emitted, i.e. the first frame of its run.

Output:
DIR/model/config.json        GigaAM config shape: encoder.d_model, head {_target_, feat_in,
                             num_classes}, decoding {_target_, vocabulary | model_path}
DIR/model/model.safetensors  head.decoder_layers.0.{weight,bias} in --dtype
DIR/model/tokenizer.model    bpe only (spm_train), config "model_path": "tokenizer.model"
DIR/frames/uttNNNN.npy       float32 [T, d_model] encoder frames
DIR/logprobs/uttNNNN.npy     float32 [T, C] the head's log-probs (weights as stored)
DIR/expected.jsonl           {"utterance","text","tokens","frames","num_frames","min_margin"}
DIR/reference.json           arguments and statistics

Frames are planted so decoding looks like a trained model's: runs of one token (1-3 frames),
runs of blank, sometimes the same token again after a blank, and some pure-noise frames. A
planted frame is noise + --gain * W[c] / |W[c]| for its class c. Utterances whose smallest
top-1/top-2 log-prob gap is below --min-margin are regenerated, so an implementation that
differs only by float rounding reproduces the tokens exactly.
"""
import argparse
import json
import os
import random
import shutil
import sys
from typing import List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import Tensor, nn  # noqa: E402

from gigaam_rnnt import Tokenizer  # noqa: E402
from model_io import round_to, write_safetensors  # noqa: E402

PRESETS = {
    "small": dict(d_model=16, classes=8),
    "char": dict(d_model=768, classes=34),
    "bpe": dict(d_model=768, classes=1025),
}


class CTCHead(nn.Module):
    """GigaAM's CTCHead: kernel-1 Conv1d over [B, d_model, T], log_softmax over classes."""

    def __init__(self, feat_in: int, num_classes: int):
        super().__init__()
        self.decoder_layers = nn.Sequential(nn.Conv1d(feat_in, num_classes, kernel_size=1))

    def forward(self, encoder_output: Tensor) -> Tensor:
        return nn.functional.log_softmax(
            self.decoder_layers(encoder_output).transpose(1, 2), dim=-1)


def ctc_greedy(log_probs: Tensor, blank_id: int) -> Tuple[List[int], List[int]]:
    """GigaAM's CTCGreedyDecoding mask on one utterance's log-probs [T, C]: tokens and the
    frame index at which each is emitted."""
    labels = log_probs.argmax(dim=-1, keepdim=False)
    keep = labels != blank_id
    keep[1:] = torch.logical_and(keep[1:], labels[1:] != labels[:-1])
    frames = torch.nonzero(keep, as_tuple=False).flatten()
    return labels[keep].tolist(), frames.tolist()


def min_margin(log_probs: Tensor) -> float:
    if log_probs.shape[0] == 0:
        return float("inf")
    top2 = torch.topk(log_probs, 2, dim=-1).values
    return float((top2[:, 0] - top2[:, 1]).min())


def plan(rng: random.Random, T: int, tokens: List[int], blank: int) -> List[Optional[int]]:
    """Per-frame target class (None: a noise frame)."""
    out: List[Optional[int]] = []
    last = None
    while len(out) < T:
        if rng.random() < 0.15 and last is not None:
            tok = last  # the same token again: after a blank it is emitted twice
        else:
            tok = rng.choice(tokens)
        out.extend([tok] * rng.choice((1, 1, 2, 3)))
        last = tok
        gap = rng.choice((0, 1, 1, 2, 3))
        out.extend([blank] * gap)
        if rng.random() < 0.1:
            out.append(None)
    return out[:T]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--preset", choices=sorted(PRESETS), default="small")
    p.add_argument("--d-model", type=int)
    p.add_argument("--classes", type=int)
    p.add_argument("--utterances", type=int, default=8)
    p.add_argument("--min-frames", type=int, default=20)
    p.add_argument("--max-frames", type=int, default=120)
    p.add_argument("--dtype", choices=("f32", "f16", "bf16"), default="f32")
    p.add_argument("--gain", type=float, default=8.0, help="planted frame strength")
    p.add_argument("--min-margin", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    for k, v in PRESETS[a.preset].items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    if a.classes < 2 or a.d_model < 1:
        p.error("need --classes >= 2 and --d-model >= 1")
    return a


def main(argv=None):
    a = parse_args(argv)
    torch.set_num_threads(1)
    model_dir = os.path.join(a.out, "model")
    frames_dir = os.path.join(a.out, "frames")
    logp_dir = os.path.join(a.out, "logprobs")
    for d in (model_dir, frames_dir, logp_dir):
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)

    decoding = {"_target_": "gigaam.decoding.CTCGreedyDecoding"}
    special: List[int] = []
    if a.preset == "bpe":
        from make_reference import RussianishText, train_bpe
        tok_path = os.path.join(model_dir, "tokenizer.model")
        train_bpe(tok_path, a.classes - 1, RussianishText(random.Random(a.seed)), a.seed)
        tokenizer = Tokenizer(None, tok_path)
        sp = tokenizer.model
        special = [i for i in range(len(sp)) if sp.IsControl(i) or sp.IsUnknown(i)]
        decoding["vocabulary"] = None
        decoding["model_path"] = "tokenizer.model"
    else:
        from make_reference import CHAR_VOCAB
        vocab = [CHAR_VOCAB[i % len(CHAR_VOCAB)] for i in range(a.classes - 1)]
        tokenizer = Tokenizer(vocab)
        decoding["vocabulary"] = vocab
    if len(tokenizer) != a.classes - 1:
        raise RuntimeError(f"tokenizer has {len(tokenizer)} tokens, need {a.classes - 1}")
    blank = a.classes - 1

    torch.manual_seed(a.seed)
    head = CTCHead(a.d_model, a.classes)
    with torch.no_grad():
        if special:  # never emit <unk>/<s>/</s>, as a trained model practically does not
            head.decoder_layers[0].bias[special] -= 30.0
        for prm in head.parameters():
            prm.copy_(round_to(prm, a.dtype))
    head.eval()

    with open(os.path.join(model_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump({
            "model_name": f"synthetic_{a.preset}_ctc",
            "encoder": {"d_model": a.d_model},
            "head": {"_target_": "gigaam.decoder.CTCHead", "feat_in": a.d_model,
                     "num_classes": a.classes},
            "decoding": decoding,
        }, f, ensure_ascii=False, indent=2)
        f.write("\n")
    tdt = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[a.dtype]
    write_safetensors(os.path.join(model_dir, "model.safetensors"),
                      {"head." + k: v.to(tdt) for k, v in head.state_dict().items()},
                      metadata={"format": "pt"})

    weight = head.decoder_layers[0].weight.detach()[:, :, 0]
    unit = weight / weight.norm(dim=1, keepdim=True)
    tokens_pool = [i for i in range(blank) if i not in special]
    n_frames = n_tokens = regenerated = 0
    worst = float("inf")
    with open(os.path.join(a.out, "expected.jsonl"), "w", encoding="utf-8") as fo, torch.inference_mode():
        for i in range(a.utterances):
            attempt = 0
            while True:
                ss = np.random.SeedSequence([a.seed, i, attempt]).generate_state(2)
                rng = random.Random(int(ss[0]))
                g = torch.Generator().manual_seed(int(ss[1]))
                T = rng.randint(a.min_frames, a.max_frames)
                frames = torch.randn(T, a.d_model, generator=g)
                for t, c in enumerate(plan(rng, T, tokens_pool, blank)):
                    if c is not None:
                        frames[t] += a.gain * unit[c]
                log_probs = head(frames.t().unsqueeze(0))[0]
                margin = min_margin(log_probs)
                if margin >= a.min_margin or attempt >= 50:
                    break
                attempt += 1
                regenerated += 1
            name = f"utt{i:04d}"
            np.save(os.path.join(frames_dir, name + ".npy"), frames.numpy().astype(np.float32))
            np.save(os.path.join(logp_dir, name + ".npy"), log_probs.numpy().astype(np.float32))
            tokens, token_frames = ctc_greedy(log_probs, blank)
            rec = {"utterance": name, "text": tokenizer.decode(tokens), "tokens": tokens,
                   "frames": token_frames, "num_frames": T, "min_margin": margin}
            fo.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n_frames += T
            n_tokens += len(tokens)
            worst = min(worst, margin)

    stats = dict(utterances=a.utterances, frames=n_frames, tokens=n_tokens,
                 tokens_per_frame=n_tokens / max(1, n_frames), regenerated=regenerated,
                 min_margin=worst)
    with open(os.path.join(a.out, "reference.json"), "w", encoding="utf-8") as f:
        json.dump({"args": vars(a), "stats": stats}, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print(f"gigaam_ctc: {a.preset} {a.dtype} D={a.d_model} C={a.classes}: {a.utterances} utterances, "
          f"{n_frames} frames, {n_tokens} tokens, min margin {worst:.4f}, "
          f"{regenerated} regenerated -> {a.out}")


if __name__ == "__main__":
    main()
