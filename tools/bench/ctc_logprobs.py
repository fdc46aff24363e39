"""Random but peaked CTC log-probabilities for the WFST decoder benchmark, written as .npy files [T, C] float32.

Each utterance spells random words (their ids go to OUTDIR/ref.jsonl, one {"utterance", "words"} line each) of a graph built by ctc-graph.sh (words.txt, tokens.txt) as CTC frames: every
letter lasts 1-3 frames, blanks of 0-2 frames separate letters (always one between a letter and its repeat), and
each frame's distribution puts 0.3-0.9 of its mass on the spelled class and spreads the rest at random, so
the search meets the competition of a real acoustic model rather than a single obvious path.

Usage: /usr/bin/python3 tools/bench/ctc_logprobs.py GRAPHDIR OUTDIR [--utterances 64] [--words-per 12] [--seed 1]
"""
import argparse
import json
import os

import numpy as np


def read_table(path):
    table = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            symbol, number = line.split()
            table[symbol] = int(number)
    return table


def frames_of(rng, letters, token_id, classes):
    """The class of every frame: letters held 1-3 frames, blanks between them."""
    blank = classes - 1
    out = [blank] * int(rng.integers(0, 3))
    previous = None
    for letter in letters:
        token = token_id[letter]
        if token == previous:
            out.append(blank)
        out.extend([token] * int(rng.integers(1, 4)))
        out.extend([blank] * int(rng.integers(0, 3)))
        previous = token
    return out


def peaked(rng, labels, classes):
    logits = rng.gamma(0.3, 1.0, size=(len(labels), classes))
    rest = logits / logits.sum(axis=1, keepdims=True)
    mass = rng.uniform(0.3, 0.9, size=len(labels))
    probs = rest * (1 - mass)[:, None]
    probs[np.arange(len(labels)), labels] += mass
    return np.log(np.maximum(probs, 1e-30)).astype(np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("graphdir")
    parser.add_argument("outdir")
    parser.add_argument("--utterances", type=int, default=64)
    parser.add_argument("--words-per", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    token_id = read_table(os.path.join(args.graphdir, "tokens.txt"))
    word_id = read_table(os.path.join(args.graphdir, "words.txt"))
    words = [w for w, i in word_id.items() if i > 0 and not w.startswith("#")]
    classes = len(token_id) + 1
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.outdir, exist_ok=True)
    total = 0
    with open(os.path.join(args.outdir, "ref.jsonl"), "w", encoding="utf-8") as ref:
        for u in range(args.utterances):
            chosen = [words[int(i)] for i in rng.integers(0, len(words), size=args.words_per)]
            labels = frames_of(rng, "".join(chosen), token_id, classes)
            np.save(os.path.join(args.outdir, f"u{u:04d}.npy"), peaked(rng, np.array(labels), classes))
            ref.write(json.dumps({"utterance": f"u{u:04d}", "words": [word_id[w] for w in chosen]}) + "\n")
            total += len(labels)
    print(f"{args.utterances} utterances, {total} frames of {classes} classes in {args.outdir}")


if __name__ == "__main__":
    main()
