#!/usr/bin/python3
"""Text parts of a synthetic CTC decoding graph TLG (driven by ctc-graph.sh, which compiles and composes them).

  text  OUTDIR  tokens.txt, words.txt, G.txt (bigram LM with backoff), L.txt (lexicon), T.txt (CTC topology),
                and the relabel pairs that turn the disambiguation symbols into epsilons
  probe OUTDIR  probe.txt: CTC frames (an acceptor of class + 1) spelling a few random words; probe.expected: their ids
  check OUTDIR  reads probe.out (fstprint of the shortest path of probe o TLG) and fails unless it spells those words

Label conventions (the decoder depends on them): 32 tokens, the CTC blank is class 32, so C = 33 classes.
T's input labels are class + 1 (1..33), its output labels token + 1 (1..32), so L's input labels are token + 1 too.
The disambiguation symbols live past the real labels: #0 is token label 33 and word label N + 1, #1 token label 34.
"""
import argparse
import os

import numpy as np

# 32 Cyrillic letters (а..я without ё): a Russian-like alphabet that is exactly the 32 tokens.
ALPHABET = [chr(c) for c in range(0x430, 0x450)]
TOKENS = len(ALPHABET)
BLANK = TOKENS  # the last class
DISAMBIG0_TOKEN = TOKENS + 1  # #0, the backoff symbol, on L's input side
DISAMBIG1_TOKEN = TOKENS + 2  # #1, ends the spelling of a word that is a prefix of another
END_OF_SENTENCE = 0.05  # unigram p(</s>): sentences of about 20 words


def weight(p):
    return -np.log(p)


def make_words(rng, n):
    """n distinct words of 2..10 letters (mean 6); letter frequencies are Zipf-like so words share prefixes as real
    ones do. Ids are ordered by frequency rank, and frequent words tend to be short (Zipf's law of abbreviation)."""
    letter_p = 1.0 / np.arange(1, TOKENS + 1) ** 0.8
    letter_p = rng.permutation(letter_p / letter_p.sum())
    words, seen = [], set()
    while len(words) < n:
        lengths = 2 + rng.binomial(8, 0.5, size=n)
        letters = rng.choice(TOKENS, size=(n, 10), p=letter_p)
        for length, row in zip(lengths, letters):
            word = tuple(row[:length].tolist())
            if word not in seen and len(words) < n:
                seen.add(word)
                words.append(word)
    order = np.argsort(np.array([len(w) for w in words]) + rng.normal(0, 2, size=n), kind="stable")
    return [words[i] for i in order]


def unigram(n):
    """p(word rank r) ~ Zipf-Mandelbrot, leaving END_OF_SENTENCE for </s>."""
    p = 1.0 / (np.arange(1, n + 1) + 2.7)
    return p / p.sum() * (1 - END_OF_SENTENCE)


def successors(rng, p, counts):
    """For each row, counts[row] distinct successor indices drawn without replacement with probabilities p
    (Gumbel top-k: frequent words are likely successors of every history, as in real bigram lists)."""
    out, log_p = [], np.log(p)
    for start in range(0, len(counts), 512):
        rows = counts[start:start + 512]
        k = rows.max()
        keys = log_p + rng.gumbel(size=(len(rows), len(p)))
        top = np.argpartition(-keys, k - 1, axis=1)[:, :k]
        top = np.take_along_axis(top, np.argsort(-np.take_along_axis(keys, top, axis=1), axis=1), axis=1)
        out.extend(row[:c] for row, c in zip(top, rows))
    return out


def write_g(path, rng, n, successors_per_word):
    """Acceptor G. States: 0 = <s>, 1 = unigram (backoff) state, w + 1 = history word w (ids 1..n).
    A proper backoff LM: each history keeps mass 1 - beta for its seen successors (and </s>), and its backoff weight
    alpha spreads beta over the unigrams it did not see, so every state's arcs and final weight sum to 1."""
    disambig0 = n + 1
    p_uni = unigram(n)
    # Frequent words get more successors, as they have more observed bigrams; <s> has the most.
    counts = np.clip(np.rint(successors_per_word * (p_uni / np.median(p_uni)) ** 0.25), 1, n).astype(int)
    counts = np.concatenate([[min(n, 10 * successors_per_word)], counts])
    lines, finals = [], [f"1 {weight(END_OF_SENTENCE):.5f}"]
    for h, succ in enumerate(successors(rng, p_uni, counts)):
        words = succ + 1
        beta = rng.uniform(0.2, 0.6)
        boost = np.exp(rng.normal(0, 1, size=len(words) + 1))  # bigram preferences differ from the unigram's
        q = np.append(p_uni[succ], END_OF_SENTENCE) * boost
        if h == 0:
            q[-1] = 0  # no empty sentence
        p = (1 - beta) * q / q.sum()
        alpha = beta / (1 - p_uni[succ].sum() - (END_OF_SENTENCE if h else 0))
        state = 0 if h == 0 else h + 1  # <s> comes first: fstcompile takes the first arc's source as the start
        lines.append(f"{state} 1 {disambig0} {disambig0} {weight(alpha):.5f}")
        if h:
            finals.append(f"{state} {weight(p[-1]):.5f}")
        lines += [f"{state} {w + 1} {w} {w} {c:.5f}" for w, c in zip(words.tolist(), weight(p[:-1]).tolist())]
    lines += [f"1 {w + 1} {w} {w} {weight(p_uni[w - 1]):.5f}" for w in range(1, n + 1)]
    with open(path, "w") as f:
        f.write("\n".join(lines + finals) + "\n")
    return counts


def write_l(path, words):
    """Lexicon L: token + 1 -> word, the word on the first arc (Kaldi style), each spelling looping back to state 0.
    A word that is a prefix of another ends in #1, so that L is a prefix code and L o G can be determinized;
    #0:#0 at state 0 lets G's backoff arcs through."""
    n = len(words)
    prefixes = {w[:i] for w in words for i in range(1, len(w))}
    lines, next_state = [f"0 0 {DISAMBIG0_TOKEN} {n + 1} 0"], 1
    for word_id, word in enumerate(words, start=1):
        labels = [t + 1 for t in word] + ([DISAMBIG1_TOKEN] if word in prefixes else [])
        src = 0
        for i, label in enumerate(labels):
            dst = 0 if i == len(labels) - 1 else next_state
            lines.append(f"{src} {dst} {label} {word_id if i == 0 else 0} 0")
            if dst:
                next_state += 1
            src = dst
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n0 0\n")
    return sum(w in prefixes for w in words)


def write_t(path):
    """Compact CTC topology: state 0 = after blank (or at the start), state k + 1 = after token k.
    Input class + 1, output token + 1 or 0 for blanks and for repeats of the previous frame's token."""
    lines = []
    for s in range(TOKENS + 1):
        lines.append(f"{s} 0 {BLANK + 1} 0 0")
        lines += [f"{s} {k + 1} {k + 1} {0 if s == k + 1 else k + 1} 0" for k in range(TOKENS)]
    lines += [f"{s} 0" for s in range(TOKENS + 1)]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def read_words(outdir):
    with open(os.path.join(outdir, "words.txt"), encoding="utf-8") as f:
        pairs = [line.split() for line in f]
    return {int(i): w for w, i in pairs if w not in ("<eps>", "#0")}


def text(args):
    rng = np.random.default_rng(args.seed)
    out = lambda name: os.path.join(args.outdir, name)
    words = make_words(rng, args.words)
    with open(out("tokens.txt"), "w", encoding="utf-8") as f:
        f.writelines(f"{c} {i}\n" for i, c in enumerate(ALPHABET))
    with open(out("words.txt"), "w", encoding="utf-8") as f:
        f.write("<eps> 0\n")
        f.writelines(f"{''.join(ALPHABET[t] for t in w)} {i}\n" for i, w in enumerate(words, start=1))
        f.write(f"#0 {len(words) + 1}\n")
    counts = write_g(out("G.txt"), rng, args.words, args.successors)
    prefix_words = write_l(out("L.txt"), words)
    write_t(out("T.txt"))
    with open(out("relabel.ipairs"), "w") as f:
        f.write(f"{DISAMBIG0_TOKEN} 0\n{DISAMBIG1_TOKEN} 0\n")
    with open(out("relabel.opairs"), "w") as f:
        f.write(f"{len(words) + 1} 0\n")
    print(f"words {len(words)} (mean length {np.mean([len(w) for w in words]):.2f}, {prefix_words} are prefixes of "
          f"others and end in #1); bigram successors per history: mean {counts[1:].mean():.1f}, "
          f"min {counts[1:].min()}, max {counts[1:].max()}, <s> {counts[0]}")


def probe(args):
    """Frames as a CTC model would emit them: letters held 1-3 frames, a blank wherever the same letter repeats,
    and sometimes none between words, so T's collapsing and L's word boundaries are both exercised."""
    rng = np.random.default_rng([args.seed, 1])
    words = read_words(args.outdir)
    ids = rng.choice(sorted(words), size=3, replace=False).tolist()
    frames = [BLANK]
    for word_id in ids:
        for letter in words[word_id]:
            cls = ALPHABET.index(letter)
            if frames[-1] == cls:
                frames.append(BLANK)
            frames += [cls] * int(rng.integers(1, 4))
        if rng.random() < 0.5:
            frames.append(BLANK)
    with open(os.path.join(args.outdir, "probe.txt"), "w") as f:
        f.writelines(f"{i} {i + 1} {c + 1} {c + 1}\n" for i, c in enumerate(frames))
        f.write(f"{len(frames)}\n")
    with open(os.path.join(args.outdir, "probe.expected"), "w") as f:
        f.write(" ".join(map(str, ids)) + "\n")


def check(args):
    """The shortest path must output the probe's word ids; another segmentation of the same letters would also be a
    correct decode (words may concatenate alike), so that is accepted with a note."""
    words = read_words(args.outdir)
    with open(os.path.join(args.outdir, "probe.expected")) as f:
        expected = [int(x) for x in f.read().split()]
    arcs, start = {}, None
    with open(os.path.join(args.outdir, "probe.out")) as f:
        for fields in (line.split() for line in f):
            if start is None:
                start = fields[0]
            if len(fields) >= 4:
                arcs[fields[0]] = (fields[1], int(fields[3]))
    got, state = [], start
    while state in arcs:
        state, olabel = arcs[state]
        if olabel:
            got.append(olabel)
    spell = lambda ids: "".join(words.get(i, "?") for i in ids)
    if got == expected:
        print(f"sanity: ok ({' '.join(words[i] for i in got)} = {got})")
    elif got and spell(got) == spell(expected):
        print(f"sanity: ok (same letters, other segmentation: expected {expected}, got {got})")
    else:
        raise SystemExit(f"sanity: FAILED: expected words {expected} ({spell(expected)}), got {got} ({spell(got)})")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["text", "probe", "check"])
    parser.add_argument("outdir")
    parser.add_argument("--words", type=int, default=10000)
    parser.add_argument("--successors", type=int, default=30, help="bigram successors of a median-frequency word")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    {"text": text, "probe": probe, "check": check}[args.step](args)


if __name__ == "__main__":
    main()
