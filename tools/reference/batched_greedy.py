#!/usr/bin/python3
"""Batched greedy RNN-T decoding in eager PyTorch, with GigaAM's semantics.

This is the PyTorch baseline of the benchmark table, written the way a careful user would:
* the encoder projection of every frame of the batch is one GEMM (`joint.enc` on the
  concatenated frames), laid out time-major so a frame step reads a contiguous slice;
* utterances are sorted by length, so the lanes still active at frame t are a prefix;
* per frame, a loop over symbols while any lane still emits and < max_symbols: joint for the
  lanes still going, argmax, and a predictor (LSTM) step only for the lanes that emitted a
  non-blank token (gather / index_copy_), so the committed LSTM state, the last label and the
  cached predictor projection change only on an emission; lanes that produced a blank stop
  for this frame. The predictor output is cached between frames (GigaAM recomputes it on
  every inner step from unchanged inputs, which gives the same values).

Two GEMM back-ends (`gemm`):
* "blas": the modules themselves (nn.Embedding, nn.LSTM, nn.Linear). On Debian's torch this
  goes to the reference (netlib) BLAS, ~5 GFLOP/s — slow, but what plain code gets here.
* "xnnpack": the same math with XNNPACK prepacked f32 linears (torch.ops.prepacked, part of
  this torch build, ~170-200 GFLOP/s on one core), a hand-written LSTM cell and the layer-0
  input half as a per-token table (W_ih·embed + b_ih). What a careful user who noticed the
  slow BLAS would do; closer to what a pip/MKL torch gets with the plain modules.
"auto" picks xnnpack when available.

Devices (`device`): "cpu" (default) as above. "cuda": the head is copied to the GPU, frames
are moved there (a no-op for frames already on it) and all of the math is plain eager torch
ops on the GPU; XNNPACK is CPU-only, so `gemm` becomes
* "cuda" (from "auto" or "xnnpack"): the hand-written LSTM cell and per-token layer-0 table of
  the xnnpack path, with F.linear (cuBLAS) GEMMs;
* "cuda-modules" (from "blas"): the modules themselves (nn.LSTM goes to cuDNN).
TF32 is switched off (torch.backends.cuda.matmul / cudnn.allow_tf32 = False) so the GPU does
f32 math like the CPU path and the Svod kernels. The padded time-major encoder projection is
built with one gather instead of a copy per lane (a kernel launch each on the GPU).

The decision is argmax over the joint logits (log_softmax is monotone; GigaAM takes argmax
of log_softmax, which differs only at float near-ties, see make_reference.py --min-margin).
"""
import copy
import functools
from typing import List, Tuple

import torch
from torch import Tensor

from gigaam_rnnt import RNNTHead


@functools.lru_cache(maxsize=None)
def xnnpack_available() -> bool:
    try:
        p = torch.ops.prepacked.linear_clamp_prepack(torch.ones(2, 2), torch.zeros(2))
        torch.ops.prepacked.linear_clamp_run(torch.ones(1, 2), p)
        return True
    except Exception:  # noqa: BLE001 - any failure means "not usable"
        return False


class _XLinear:
    """y = x @ W^T + b through an XNNPACK prepacked f32 GEMM."""

    def __init__(self, weight: Tensor, bias: Tensor):
        self.packed = torch.ops.prepacked.linear_clamp_prepack(
            weight.detach().contiguous(), bias.detach().contiguous())

    def __call__(self, x: Tensor) -> Tensor:
        return torch.ops.prepacked.linear_clamp_run(x, self.packed)


def make_linear(weight: Tensor, bias: Tensor, gemm: str = "auto"):
    """A callable x -> x @ weight^T + bias on the chosen GEMM back-end."""
    if gemm == "auto":
        gemm = "xnnpack" if xnnpack_available() else "blas"
    if gemm == "xnnpack":
        return _XLinear(weight, bias)
    w, b = weight.detach(), bias.detach()
    return lambda x: torch.nn.functional.linear(x, w, b)


class BatchedGreedyDecoder:
    def __init__(self, head: RNNTHead, max_symbols: int, gemm: str = "auto",
                 device: str = "cpu"):
        self.device = torch.device(device)
        if gemm not in ("auto", "xnnpack", "blas"):
            raise ValueError(f"unknown gemm back-end {gemm}")
        if self.device.type == "cuda":
            if not torch.cuda.is_available():
                raise RuntimeError("device cuda requested but torch.cuda.is_available() is False")
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
            gemm = "cuda-modules" if gemm == "blas" else "cuda"
            head = copy.deepcopy(head).to(self.device).eval()
        elif self.device.type != "cpu":
            raise ValueError(f"unsupported device {device}")
        elif gemm == "auto":
            gemm = "xnnpack" if xnnpack_available() else "blas"
        self.gemm = gemm
        # hand-written LSTM cell + layer-0 table (xnnpack, cuda) or the modules (blas, cuda-modules)
        self.hand = gemm in ("xnnpack", "cuda")
        self.head = head
        self.max_symbols = max_symbols
        dec, joint = head.decoder, head.joint
        self.blank = dec.blank_id
        self.P = dec.pred_hidden
        self.L = dec.lstm.num_layers
        self.H = joint.enc.out_features
        with torch.inference_mode():
            if self.hand:
                lin = _XLinear if gemm == "xnnpack" else (lambda w, b: make_linear(w, b, "blas"))
                self.enc = lin(joint.enc.weight, joint.enc.bias)
                self.pred = lin(joint.pred.weight, joint.pred.bias)
                self.out = lin(joint.joint_net[1].weight, joint.joint_net[1].bias)
                lstm = dec.lstm
                self.hh = [lin(getattr(lstm, f"weight_hh_l{l}"), getattr(lstm, f"bias_hh_l{l}"))
                           for l in range(self.L)]
                self.ih = [lin(getattr(lstm, f"weight_ih_l{l}"), getattr(lstm, f"bias_ih_l{l}"))
                           for l in range(self.L)]
                # layer-0 input half per token: W_ih0 · embed[k] + b_ih0
                self.table0 = self.ih[0](dec.embed.weight.detach()).contiguous()
                self.zero_in0 = lstm.bias_ih_l0.detach().reshape(1, -1).clone()  # W·0 + b
            else:
                self.enc = joint.enc
                self.pred = joint.pred
                self.out = joint.joint_net[1]
            self._init_state()

    # ---- predictor -------------------------------------------------------------------
    def _cells(self, x_half0: Tensor, hs: List[Tensor], cs: List[Tensor]):
        """One LSTM step (hand-written cell: xnnpack / cuda). x_half0: layer-0 input half incl. b_ih0."""
        new_h, new_c = [], []
        x = None
        for l in range(self.L):
            gates = self.hh[l](hs[l])
            gates += x_half0 if l == 0 else self.ih[l](x)
            i, f, g, o = gates.chunk(4, 1)
            c = torch.sigmoid(f) * cs[l] + torch.sigmoid(i) * torch.tanh(g)
            x = torch.sigmoid(o) * torch.tanh(c)
            new_h.append(x)
            new_c.append(c)
        return new_h, new_c, x

    def _init_state(self):
        """Predictor on the empty prefix: zero input, zero state (shared by every lane)."""
        P = self.P
        if self.hand:
            z = torch.zeros(1, P, device=self.device)
            h, c, g = self._cells(self.zero_in0, [z] * self.L, [z] * self.L)
            self.h0 = torch.stack(h)  # [L, 1, P]
            self.c0 = torch.stack(c)
            self.pp0 = self.pred(g)  # [1, H]
        else:
            g, (h, c) = self.head.decoder.lstm(torch.zeros(1, 1, P, device=self.device))
            self.h0, self.c0 = h, c  # [L, 1, P]
            self.pp0 = self.pred(g[0])

    def _predict(self, lanes: Tensor, labels: Tensor, h: Tensor, c: Tensor, pp: Tensor):
        """Feed `labels` to the predictor of `lanes`; commit h, c and the cached pred(g)."""
        if self.hand:
            hs = [h[l].index_select(0, lanes) for l in range(self.L)]
            cs = [c[l].index_select(0, lanes) for l in range(self.L)]
            nh, nc, g = self._cells(self.table0.index_select(0, labels), hs, cs)
            for l in range(self.L):
                h[l].index_copy_(0, lanes, nh[l])
                c[l].index_copy_(0, lanes, nc[l])
        else:
            emb = self.head.decoder.embed(labels).unsqueeze(0)  # [1, n, P]
            gs, (nh, nc) = self.head.decoder.lstm(
                emb, (h.index_select(1, lanes), c.index_select(1, lanes)))
            h.index_copy_(1, lanes, nh)
            c.index_copy_(1, lanes, nc)
            g = gs[0]
        pp.index_copy_(0, lanes, self.pred(g))

    # ---- decoding ----------------------------------------------------------------------
    @torch.inference_mode()
    def decode(self, utts: List[Tensor]) -> List[Tuple[List[int], List[int]]]:
        """Decode a batch of utterances (each float32 [T_i, d_model]) from the empty prefix.
        Returns (tokens, token_frames) per utterance, in input order."""
        B = len(utts)
        lens = [int(u.shape[0]) for u in utts]
        order = sorted(range(B), key=lambda i: -lens[i])  # stable: longest first
        slens = [lens[i] for i in order]
        T = slens[0] if B else 0
        H = self.H
        # encoder projection of every frame: one GEMM, then time-major padded [T, B, H]
        dev = self.device
        flat = self.enc(torch.cat([utts[i].to(dev) for i in order], 0))
        if dev.type == "cpu":
            ep = torch.zeros(T, B, H)
            off = 0
            for j, n in enumerate(slens):
                ep[:n, j] = flat[off:off + n]
                off += n
        else:  # one gather: row off_j + t of flat, or the appended zero row past the end
            ln = torch.tensor(slens, dtype=torch.long)
            offs = torch.cumsum(ln, 0) - ln
            ar = torch.arange(T, dtype=torch.long).unsqueeze(1)
            idx = torch.where(ar < ln.unsqueeze(0), offs.unsqueeze(0) + ar,
                              torch.full((), int(flat.shape[0]), dtype=torch.long))
            flat = torch.cat([flat, flat.new_zeros(1, H)], 0)
            ep = flat.index_select(0, idx.reshape(-1).to(dev)).view(T, B, H)
        # number of active lanes per frame (lanes sorted by length: a prefix)
        n_active = [0] * T
        j = B
        for t in range(T):
            while j > 0 and slens[j - 1] <= t:
                j -= 1
            n_active[t] = j
        h = self.h0.expand(-1, B, -1).contiguous()
        c = self.c0.expand(-1, B, -1).contiguous()
        pp = self.pp0.expand(B, -1).contiguous()
        blank, max_sym = self.blank, self.max_symbols
        rec_lanes, rec_labels, rec_t = [], [], []
        for t in range(T):
            n = n_active[t]
            et = ep[t]
            z = et[:n] + pp[:n]
            k = self.out(z.relu_()).argmax(1)
            lanes = (k != blank).nonzero().squeeze(1)
            labels = k.index_select(0, lanes)
            sym = 0
            while lanes.numel() > 0:
                rec_lanes.append(lanes)
                rec_labels.append(labels)
                rec_t.append(t)
                self._predict(lanes, labels, h, c, pp)
                sym += 1
                if sym == max_sym:
                    break
                z = et.index_select(0, lanes) + pp.index_select(0, lanes)
                k = self.out(z.relu_()).argmax(1)
                sel = (k != blank).nonzero().squeeze(1)  # one host sync per step
                lanes = lanes.index_select(0, sel)
                labels = k.index_select(0, sel)
        results = [([], []) for _ in range(B)]
        if rec_lanes:  # one device->host copy each for lanes and labels
            counts = [int(x.numel()) for x in rec_lanes]
            all_lanes = torch.cat(rec_lanes).tolist()
            all_labels = torch.cat(rec_labels).tolist()
            i = 0
            for cnt, t in zip(counts, rec_t):
                for j, kk in zip(all_lanes[i:i + cnt], all_labels[i:i + cnt]):
                    toks, frs = results[order[j]]
                    toks.append(kk)
                    frs.append(t)
                i += cnt
        return results
