#!/usr/bin/python3
"""PyTorch baseline for the benchmark table: batched greedy RNN-T decoding (GigaAM semantics)
of a model directory on a frames directory.

    /usr/bin/python3 tools/reference/bench_torch.py --model DIR/model --frames DIR/frames \\
        [--batches 1,16,64,256] [--threads 1] [--seconds 3] [--gemm auto|xnnpack|blas] \\
        [--device cpu|cuda] [--sgemm] [--check]

stdout: one JSON line per measurement
  {"impl":"pytorch","device":"cpu"|"cuda","gemm":..,"threads":..,"batch":B,"frames":N,
   "seconds":S,"frames_per_s":R,"tokens_per_frame":x}
  {"impl":"sgemm","device":..,"backend":..,"threads":..,"m":..,"n":..,"k":..,"gflops":..}
                                                                                   (--sgemm)
stderr: --check results and notes.

--device cuda: the head and the frames live on the GPU; decoding is the same eager batched
greedy loop with plain torch ops ("gemm" reported as "cuda", or "cuda-modules" with
--gemm blas; see batched_greedy.py); timing is bracketed by torch.cuda.synchronize().
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

from batched_greedy import BatchedGreedyDecoder, xnnpack_available  # noqa: E402
from gigaam_rnnt import reference_decode  # noqa: E402
from model_io import ModelDir, load_frames  # noqa: E402


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def check(md: ModelDir, utts, gemm: str, count: int, expected_path: str,
          device: str = "cpu") -> bool:
    """Batched decoding (one batch, and batches of 5) vs GigaAM's unbatched loop (on the CPU)."""
    names = [n for n, _ in utts[:count]]
    frames = [f for _, f in utts[:count]]
    dec = BatchedGreedyDecoder(md.head, md.max_symbols, gemm, device)
    dframes = [f.to(dec.device) for f in frames]
    one = dec.decode(dframes)
    fives = []
    for i in range(0, len(dframes), 5):
        fives.extend(dec.decode(dframes[i:i + 5]))
    expected = {}
    if expected_path and os.path.exists(expected_path):
        with open(expected_path, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                expected[r["utterance"]] = (r["tokens"], r["frames"])
    ok = n_exp = 0
    for i, (name, f) in enumerate(zip(names, frames)):
        margins = []
        ref = reference_decode(md.head, f, md.max_symbols, margins)
        got = [("batch", one[i]), ("batches-of-5", fives[i])]
        if name in expected:
            n_exp += 1
            got.append(("expected.jsonl", expected[name]))
        bad = [(what, r) for what, r in got if (list(r[0]), list(r[1])) != (ref[0], ref[1])]
        if not bad:
            ok += 1
            continue
        for what, r in bad:
            j = next((j for j, (a, b) in enumerate(zip(r[0], ref[0])) if a != b),
                     min(len(r[0]), len(ref[0])))
            log(f"check: {name} differs ({what} vs reference) at token {j}: "
                f"{r[0][j:j + 5]} vs {ref[0][j:j + 5]}; smallest reference margin "
                f"{min(margins):.3g}")
    log(f"check: {ok}/{len(names)} utterances identical to GigaAM's unbatched greedy loop "
        f"(device={dec.device.type}, gemm={dec.gemm}; one batch of {len(names)}, batches of 5"
        + (f", expected.jsonl for {n_exp}" if n_exp else "") + ")")
    return ok == len(names)


def bench(md: ModelDir, utts, batches, seconds: float, gemm: str, threads: int,
          device: str = "cpu"):
    dec = BatchedGreedyDecoder(md.head, md.max_symbols, gemm, device)
    frames = [f.to(dec.device) for _, f in utts]  # on the GPU with --device cuda
    n = len(frames)
    for B in batches:
        # batches of B utterances; the files are cycled when there are fewer than B
        nb = max(1, n // B)
        groups = [[frames[(j * B + k) % n] for k in range(B)] for j in range(nb)]
        dec.decode(groups[0])  # warm-up
        sync(device)
        done_frames = done_tokens = 0
        t0 = time.perf_counter()
        elapsed = 0.0
        while elapsed < seconds:
            for g in groups:
                res = dec.decode(g)
                sync(device)
                done_frames += sum(int(x.shape[0]) for x in g)
                done_tokens += sum(len(t) for t, _ in res)
                elapsed = time.perf_counter() - t0
                if elapsed >= seconds:
                    break
        print(json.dumps({"impl": "pytorch", "device": device, "gemm": dec.gemm,
                          "threads": threads, "batch": B,
                          "frames": done_frames, "seconds": round(elapsed, 3),
                          "frames_per_s": round(done_frames / elapsed, 1),
                          "tokens_per_frame": round(done_tokens / done_frames, 4)}),
              flush=True)


def sgemm(threads: int, seconds: float = 1.0, device: str = "cpu"):
    shapes = [(1024, 1024, 1024), (64, 1280, 320)]  # (m, n, k); the second: B=64 LSTM step
    for m, n, k in shapes:
        a = torch.randn(m, k, device=device)
        b = torch.randn(k, n, device=device)
        runs = [("cublas" if device == "cuda" else "blas", lambda: torch.mm(a, b))]
        if device == "cpu" and xnnpack_available():
            packed = torch.ops.prepacked.linear_clamp_prepack(b.t().contiguous(), None)
            runs.append(("xnnpack", lambda: torch.ops.prepacked.linear_clamp_run(a, packed)))
        for name, fn in runs:
            fn()
            sync(device)
            it = 0
            t0 = time.perf_counter()
            while True:
                fn()
                it += 1
                sync(device)
                dt = time.perf_counter() - t0
                if dt >= seconds:
                    break
            print(json.dumps({"impl": "sgemm", "device": device, "backend": name, "threads": threads, "m": m,
                              "n": n, "k": k, "gflops": round(2.0 * m * n * k * it / dt / 1e9, 2)}),
                  flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description="PyTorch batched greedy RNN-T baseline")
    ap.add_argument("--model", required=True, help="model directory (config.json, model.safetensors)")
    ap.add_argument("--frames", required=True, help="directory of utt*.npy float32 [T, d_model]")
    ap.add_argument("--batches", default="1,16,64,256")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--gemm", choices=("auto", "xnnpack", "blas"), default="auto",
                    help="CPU back-end; with --device cuda: auto/xnnpack -> 'cuda' "
                         "(hand-written cell), blas -> 'cuda-modules' (nn.LSTM/cuDNN)")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--sgemm", action="store_true")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--check-count", type=int, default=32)
    ap.add_argument("--expected", help="expected.jsonl to compare in --check "
                                       "(default: FRAMES/../expected.jsonl if present)")
    ap.add_argument("--no-bench", action="store_true", help="only --check / --sgemm")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    if a.device == "cuda" and not torch.cuda.is_available():
        ap.error("--device cuda: torch.cuda.is_available() is False "
                 f"(torch {torch.__version__}, built for CUDA {torch.version.cuda})")
    if a.device == "cuda":
        log(f"device: {torch.cuda.get_device_name()} (torch {torch.__version__}, "
            f"CUDA {torch.version.cuda}); TF32 off")
    if a.sgemm:
        sgemm(a.threads, device=a.device)
    md = ModelDir(a.model)
    utts = load_frames(a.frames)
    if not utts:
        ap.error(f"no .npy frames in {a.frames}")
    d_model = md.head.joint.enc.in_features
    for name, f in utts:
        if f.shape[1] != d_model:
            ap.error(f"{name}: d_model {f.shape[1]} != model's {d_model}")
    ok = True
    if a.check:
        exp = a.expected or os.path.join(os.path.dirname(os.path.abspath(a.frames)), "expected.jsonl")
        ok = check(md, utts, a.gemm, a.check_count, exp, a.device)
    if not a.no_bench:
        bench(md, utts, [int(b) for b in a.batches.split(",") if b], a.seconds, a.gemm, a.threads,
              a.device)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
