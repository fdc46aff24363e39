#!/usr/bin/python3
"""GigaAM's RNN-T head and greedy decoding, reproduced for reference outputs.

The classes below follow salute-developers/GigaAM (gigaam/decoder.py, gigaam/decoding.py,
gigaam/timestamps_utils.py) line for line in everything that affects the numbers:

* RNNTDecoder / RNNTJoint / RNNTHead: same module names, so a head's state_dict carries
  GigaAM's tensor names (``decoder.embed.weight``, ``decoder.lstm.weight_ih_l0``, ...,
  ``joint.enc.weight``, ``joint.pred.weight``, ``joint.joint_net.1.weight``). A GigaAM
  checkpoint prefixes them with ``head.`` because the head is ``model.head``; use
  ``head_state_dict(head)`` for that.
* RNNTGreedyDecoding._greedy_decode: GigaAM's one-utterance greedy loop (returns text).
* decode_with_alignment_rnnt: GigaAM's timestamps_utils variant of the same loop that also
  returns the frame index of every token (the loop body is identical).

Semantics worth knowing when reimplementing (all inherited from GigaAM):
* blank = num_classes - 1 = len(vocabulary).
* The empty prefix is a *zero embedding* fed through the LSTM from a zero state; that first
  LSTM step is part of the history: after the first emission the LSTM state is the state
  produced by the zero-input step, and the emitted label is fed on the next predict call.
* ``predict`` is called again on every inner step, also after a blank; its inputs have not
  changed, so its output is the same (an implementation may cache it).
* The decision is ``argmax`` over ``log_softmax(joint_net(...))`` (first index on ties).
* At most ``max_symbols`` non-blank tokens per frame; after that the loop moves on to the
  next frame without a blank having been produced.

Nothing here is optimised: this is the reference, not the benchmark.
"""
from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor, nn


class RNNTJoint(nn.Module):
    """GigaAM's RNNTJoint: enc/pred projections, ReLU, output projection, log_softmax."""

    def __init__(self, enc_hidden: int, pred_hidden: int, joint_hidden: int, num_classes: int):
        super().__init__()
        self.enc_hidden = enc_hidden
        self.pred_hidden = pred_hidden
        self.pred = nn.Linear(pred_hidden, joint_hidden)
        self.enc = nn.Linear(enc_hidden, joint_hidden)
        self.joint_net = nn.Sequential(nn.ReLU(), nn.Linear(joint_hidden, num_classes))

    def joint(self, encoder_out: Tensor, decoder_out: Tensor) -> Tensor:
        enc = self.enc(encoder_out).unsqueeze(2)
        pred = self.pred(decoder_out).unsqueeze(1)
        return self.joint_net(enc + pred).log_softmax(-1)

    def forward(self, enc: Tensor, dec: Tensor) -> Tensor:
        return self.joint(enc.transpose(1, 2), dec.transpose(1, 2))


class RNNTDecoder(nn.Module):
    """GigaAM's RNNTDecoder (prediction network): embedding + LSTM."""

    def __init__(self, pred_hidden: int, pred_rnn_layers: int, num_classes: int):
        super().__init__()
        self.blank_id = num_classes - 1
        self.pred_hidden = pred_hidden
        self.embed = nn.Embedding(num_classes, pred_hidden, padding_idx=self.blank_id)
        self.lstm = nn.LSTM(pred_hidden, pred_hidden, pred_rnn_layers)
        self.register_buffer("_device_ref", torch.empty(0), persistent=False)

    def predict(
        self,
        x: Optional[Tensor],
        state: Optional[Tuple[Tensor, Tensor]],
        batch_size: int = 1,
    ) -> Tuple[Tensor, Tuple[Tensor, Tensor]]:
        if x is not None:
            emb: Tensor = self.embed(x)
        else:
            emb = torch.zeros((batch_size, 1, self.pred_hidden), device=self._device_ref.device)
        g, hid = self.lstm(emb.transpose(0, 1), state)
        return g.transpose(0, 1), hid

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        emb = self.embed(x)
        g, (h, c) = self.lstm(emb.transpose(0, 1), (h, c))
        return g.transpose(0, 1), h, c


class RNNTHead(nn.Module):
    """GigaAM's RNNTHead: ``decoder`` (RNNTDecoder) and ``joint`` (RNNTJoint)."""

    def __init__(self, decoder: Dict[str, int], joint: Dict[str, int]):
        super().__init__()
        self.decoder = RNNTDecoder(**decoder)
        self.joint = RNNTJoint(**joint)


class Tokenizer:
    """GigaAM's Tokenizer: charwise vocabulary list or a SentencePiece model."""

    def __init__(self, vocab: Optional[List[str]], model_path: Optional[str] = None):
        self.charwise = model_path is None
        if self.charwise:
            self.vocab = vocab
        else:
            from sentencepiece import SentencePieceProcessor

            self.model = SentencePieceProcessor()
            self.model.load(model_path)

    def decode(self, tokens: List[int]) -> str:
        if self.charwise:
            return "".join(self.vocab[tok] for tok in tokens)
        return self.model.decode(tokens)

    def __len__(self):
        return len(self.vocab) if self.charwise else len(self.model)


class RNNTGreedyDecoding:
    """GigaAM's RNNTGreedyDecoding (greedy RNN-T, one utterance at a time)."""

    def __init__(
        self,
        vocabulary: Optional[List[str]],
        model_path: Optional[str] = None,
        max_symbols_per_step: int = 10,
    ):
        self.tokenizer = Tokenizer(vocabulary, model_path)
        self.blank_id = len(self.tokenizer)
        self.max_symbols = max_symbols_per_step

    def _greedy_decode(self, head: RNNTHead, x: Tensor, seqlen) -> str:
        hyp: List[int] = []
        dec_state = None
        last_label: Optional[Tensor] = None
        for t in range(seqlen):
            f = x[t, :, :].unsqueeze(1)
            not_blank = True
            new_symbols = 0
            while not_blank and new_symbols < self.max_symbols:
                g, hidden = head.decoder.predict(last_label, dec_state)
                k = head.joint.joint(f, g)[0, 0, 0, :].argmax(0).item()
                if k == self.blank_id:
                    not_blank = False
                else:
                    hyp.append(int(k))
                    dec_state = hidden
                    last_label = torch.tensor([[hyp[-1]]]).to(x.device)
                    new_symbols += 1
        return self.tokenizer.decode(hyp)

    @torch.inference_mode()
    def decode(self, head: RNNTHead, encoded: Tensor, enc_len: Tensor) -> List[str]:
        """encoded: [B, d_model, T] (GigaAM's encoder layout), enc_len: [B]."""
        b = encoded.shape[0]
        pred_texts = []
        encoded = encoded.transpose(1, 2)
        for i in range(b):
            inseq = encoded[i, :, :].unsqueeze(1)
            pred_texts.append(self._greedy_decode(head, inseq, enc_len[i]))
        return pred_texts


def decode_with_alignment_rnnt(
    head: RNNTHead,
    encoded_seq: Tensor,
    seq_len: int,
    blank_id: int,
    max_symbols: int,
    margins: Optional[List[float]] = None,
) -> Tuple[List[int], List[int]]:
    """GigaAM's timestamps_utils.decode_with_alignment_rnnt: tokens and their frame indices.

    encoded_seq: [T, 1, d_model] (as GigaAM passes it). If ``margins`` is a list, the gap
    between the best and the second-best log-probability of every decision is appended to
    it (diagnostic only; computed from the same tensor the decision is taken from).
    """
    hyp, token_frames = [], []
    dec_state = None
    last_label = None
    for t in range(seq_len):
        encoder_step = encoded_seq[t, :, :].unsqueeze(1)
        emitted = 0
        not_blank = True
        while not_blank and emitted < max_symbols:
            decoder_step, hidden = head.decoder.predict(last_label, dec_state)
            joint_logp = head.joint.joint(encoder_step, decoder_step)[0, 0, 0, :]
            k = int(torch.argmax(joint_logp).item())
            if margins is not None:
                top2 = torch.topk(joint_logp, 2).values
                margins.append(float(top2[0] - top2[1]))
            if k == blank_id:
                not_blank = False
                continue
            hyp.append(k)
            token_frames.append(t)
            dec_state = hidden
            last_label = torch.tensor([[k]], dtype=torch.long, device=encoded_seq.device)
            emitted += 1
    return hyp, token_frames


@torch.inference_mode()
def reference_decode(
    head: RNNTHead, frames: Tensor, max_symbols: int, margins: Optional[List[float]] = None
) -> Tuple[List[int], List[int]]:
    """Unbatched GigaAM greedy decoding of one utterance. frames: float32 [T, d_model]."""
    blank_id = head.decoder.blank_id
    x = frames.to(torch.float32).unsqueeze(1)  # [T, 1, D] like GigaAM's inseq
    return decode_with_alignment_rnnt(head, x, x.shape[0], blank_id, max_symbols, margins)


def head_state_dict(head: RNNTHead, prefix: str = "head.") -> Dict[str, Tensor]:
    """The head's tensors under GigaAM checkpoint names (``head.decoder.embed.weight``...)."""
    return {prefix + k: v for k, v in head.state_dict().items()}


def load_head_state_dict(head: RNNTHead, tensors: Dict[str, Tensor], prefix: str = "head.") -> None:
    sd = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    head.load_state_dict(sd, strict=True)
