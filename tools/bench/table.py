#!/usr/bin/python3
"""Side-by-side table of `svod bench --json` and `bench_torch.py` JSON lines (same batches, one thread)."""
import argparse
import json

NAN = float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="+", help="JSON-lines files to merge")
    parser.add_argument("--title", default="")
    args = parser.parse_args()
    rows = [json.loads(line) for f in args.files for line in open(f) if line.strip()]
    svod = {r["batch"]: r for r in rows if r.get("impl") == "svod-cpu"}
    torch = {}
    for r in rows:
        if r.get("impl") == "pytorch":
            torch.setdefault(r.get("gemm", "?"), {})[r["batch"]] = r
    print()
    print(f"{args.title}: frames/s on one thread (RTFx = frames/s x 0.04 s per frame)")
    seen = set()
    for r in rows:
        key = (r.get("impl"), r.get("backend"), r.get("m"), r.get("n"), r.get("k"))
        if r.get("impl", "").startswith("sgemm") and key not in seen:
            seen.add(key)
            shape = f" {r['m']}x{r['n']}x{r['k']}" if "m" in r else ""
            backend = f" {r['backend']}" if "backend" in r else ""
            print(f"  single-core SGEMM ({r['impl']}{backend}{shape}): {r['gflops']:.1f} GFLOP/s")
    gemms = sorted(torch)
    header = f"  {'batch':>5} {'svod':>10} {'RTFx':>8} {'GFLOP/s':>8}"
    for g in gemms:
        header += f" {'torch ' + g:>14} {'svod/' + g:>13}"
    header += f" {'tok/frame':>10}"
    print(header)
    for b in sorted(svod):
        s = svod[b]
        line = f"  {b:>5} {s['frames_per_s']:>10,.0f} {s['frames_per_s'] * 0.04:>8,.0f} {s['gflops']:>8.1f}"
        for g in gemms:
            t = torch[g].get(b)
            ft = t["frames_per_s"] if t else NAN
            line += f" {ft:>14,.0f} {s['frames_per_s'] / ft:>12.1f}x"
        line += f" {s['tokens_per_frame']:>10.3f}"
        print(line)


if __name__ == "__main__":
    main()
