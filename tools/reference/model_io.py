#!/usr/bin/python3
"""Model directory I/O: safetensors (own writer/reader, no `safetensors` package) and the
GigaAM-shaped config.json. Shared by make_reference.py and bench_torch.py."""
import json
import os
import struct
from typing import Dict, Optional, Tuple

import numpy as np
import torch

from gigaam_rnnt import RNNTHead, Tokenizer, load_head_state_dict

TORCH_DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}
ST_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def round_to(t: torch.Tensor, dtype: str) -> torch.Tensor:
    """float32 tensor as a reader converting the stored `dtype` back to f32 sees it."""
    return t.to(TORCH_DTYPES[dtype]).to(torch.float32)


def write_safetensors(path: str, tensors: Dict[str, torch.Tensor],
                      metadata: Optional[Dict[str, str]] = None) -> None:
    """Write tensors (f32/f16/bf16, any shape) as safetensors, names sorted, little-endian."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        if t.dtype not in ST_NAMES:
            raise ValueError(f"{name}: unsupported dtype {t.dtype}")
        if t.dtype == torch.bfloat16:
            raw = t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            raw = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": ST_NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - (8 + len(hjson)) % 8) % 8)  # data section starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for raw in blobs:
            f.write(raw)


def read_safetensors(path: str) -> Tuple[Dict[str, torch.Tensor], Dict[str, str]]:
    """Read a safetensors file; every tensor comes back as float32. Returns (tensors, dtypes)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    out, dtypes = {}, {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        raw = data[base + b:base + e]
        dt = info["dtype"]
        if dt == "F32":
            arr = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        elif dt == "F16":
            arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif dt == "BF16":
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(f"{name}: unsupported dtype {dt}")
        out[name] = torch.from_numpy(arr.reshape(info["shape"]).copy())
        dtypes[name] = dt
    return out, dtypes


class ModelDir:
    """A loaded model directory: config, float32 RNNTHead (eval), tokenizer, decoding params."""

    def __init__(self, path: str):
        self.path = path
        with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
            self.config = json.load(f)
        hc = self.config["head"]
        self.head = RNNTHead(dict(hc["decoder"]), dict(hc["joint"]))
        tensors, self.dtypes = read_safetensors(os.path.join(path, "model.safetensors"))
        load_head_state_dict(self.head, tensors)
        self.head.eval()
        dec = self.config["decoding"]
        self.max_symbols = int(dec.get("max_symbols_per_step", 10))
        mp = dec.get("model_path")
        self.tokenizer = Tokenizer(dec.get("vocabulary"),
                                   os.path.join(path, mp) if mp else None)
        self.blank_id = self.head.decoder.blank_id
        if len(self.tokenizer) != self.blank_id:
            raise ValueError(f"vocabulary size {len(self.tokenizer)} != num_classes - 1 "
                             f"({self.blank_id})")


def load_frames(frames_dir: str):
    """All utt*.npy files of a frames directory, sorted by name: list of (name, f32 [T, D])."""
    names = sorted(n for n in os.listdir(frames_dir) if n.endswith(".npy"))
    out = []
    for n in names:
        arr = np.load(os.path.join(frames_dir, n))
        if arr.dtype != np.float32 or arr.ndim != 2:
            raise ValueError(f"{n}: expected float32 [T, d_model], got {arr.dtype} {arr.shape}")
        out.append((n[:-4], torch.from_numpy(np.ascontiguousarray(arr))))
    return out
