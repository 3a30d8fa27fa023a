"""leakbound.sample, leakbound.eval and leakbound.load_samples: the CLI's `sample`, `eval` and
`bound` input pipeline (the eval module, lb_eval_job_*, lb_scores_read), called in-process.

Options go to C by the CLI's flag names (lb_eval_job_set), so the C library checks each value
as the CLI does and no options struct is mirrored here."""
import ctypes
import json
import math
import os
import signal
import sys
import tempfile
import threading
import warnings

import numpy as np

from . import _lib

_PROGRESS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
_L = _lib.lib
_job_new = _lib._sig("lb_eval_job_new", ctypes.c_int, ctypes.POINTER(ctypes.c_void_p), _lib.c_err_p)
_job_free = _lib._sig("lb_eval_job_free", None, ctypes.c_void_p)
_job_set = _lib._sig("lb_eval_job_set", ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p,
                     ctypes.c_char_p, _lib.c_err_p)
_job_sample = _lib._sig("lb_eval_job_sample", ctypes.c_int, ctypes.c_void_p, _PROGRESS,
                        ctypes.c_void_p, _lib.c_err_p)
_job_eval = _lib._sig("lb_eval_job_eval", ctypes.c_int, ctypes.c_void_p, ctypes.c_int,
                      ctypes.POINTER(ctypes.c_char_p), _PROGRESS, ctypes.c_void_p, _lib.c_err_p)
_job_n_items = _lib._sig("lb_eval_job_n_items", ctypes.c_size_t, ctypes.c_void_p)
_job_lines = _lib._sig("lb_eval_job_lines", ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                       _lib.c_size_p)
_job_scores = _lib._sig("lb_eval_job_scores", _lib.c_double_p, ctypes.c_void_p, _lib.c_size_p,
                        ctypes.POINTER(_lib.c_double_p))
_job_warning = _lib._sig("lb_eval_job_warning", ctypes.c_char_p, ctypes.c_void_p)
_job_data_warning = _lib._sig("lb_eval_job_data_warning", ctypes.c_char_p, ctypes.c_void_p)

LB_ECANCELED = -6


class _Progress(ctypes.Structure):
    """lb_sampler_progress_t (include/leakbound/sample.h)"""
    _fields_ = [("prompts_done", ctypes.c_size_t), ("prompts_total", ctypes.c_size_t),
                ("samples_done", ctypes.c_size_t), ("tokens", ctypes.c_size_t),
                ("seconds", ctypes.c_double), ("samples_total", ctypes.c_size_t),
                ("samples_per_s", ctypes.c_double), ("tokens_per_s", ctypes.c_double),
                ("eta_s", ctypes.c_double)]


def _progress_dict(p, by_bytes):
    """The caller's progress= dict: the numbers of the CLI's progress line, as the library
    computed them (lb_sampler_progress_derive; eval(samples=...): by the file's bytes)."""
    if by_bytes:
        return {"done": p.prompts_done, "total": p.prompts_total, "rate": p.samples_per_s,
                "eta_s": p.eta_s, "seconds": p.seconds, "answers": p.samples_done}
    return {"done": p.samples_done, "total": p.samples_total, "rate": p.samples_per_s,
            "eta_s": p.eta_s, "seconds": p.seconds, "prompts_done": p.prompts_done,
            "prompts_total": p.prompts_total, "tokens_per_s": p.tokens_per_s}


def _check_progress(progress):
    if progress is not None and not callable(progress):
        raise _lib.InputTypeError(f"progress: expected None or a callable, got "
                                  f"{type(progress).__name__}")


def _warn(job, judge_first=False):
    """The run's warnings, as the CLI prints them (without "leakbound CMD: warning: "), in the
    CLI's order: the data set's lenient-CSV note (DataWarning) and the judge's label warning
    (JudgeLabelWarning); with samples=, the judge's first."""
    found = [(_job_data_warning(job.p), _lib.DataWarning),
             (_job_warning(job.p), _lib.JudgeLabelWarning)]
    for text, cls in (found[::-1] if judge_first else found):
        if text is not None:
            warnings.warn(text.decode("utf-8", "replace"), cls, stacklevel=3)


class _Interrupt:
    """Ctrl-C during a long call: the C code runs without the GIL; the progress hook (called
    by the sampler after every decoding step, or by eval(samples=...) every few thousand lines
    of the file, on this thread) returns 1 once SIGINT arrived, so the run stops at its next
    group or lines (LB_ECANCELED) and the wrapper raises KeyboardInterrupt.
    In the main thread with Python's default SIGINT handler, a handler that only records the
    signal stands in during the call; otherwise the hook catches what the handler raises."""

    def __init__(self, progress=None, by_bytes=False):
        self.hit = False
        self.exc = None
        self.old = None
        self.stopped = False  # the caller's progress returned True
        self.progress = progress
        self.by_bytes = by_bytes
        self.cb = _PROGRESS(self._progress)

    def _progress(self, user, p):
        try:
            if self.hit or self.exc is not None:
                return 1
            if self.progress is not None and p:
                d = _progress_dict(ctypes.cast(p, ctypes.POINTER(_Progress))[0], self.by_bytes)
                if self.progress(d):
                    self.stopped = True
                    return 1
            return 0
        except BaseException as e:  # the caller's progress or handler raised
            self.exc = e
            return 1

    def _handler(self, signum, frame):
        self.hit = True

    def __enter__(self):
        if (threading.current_thread() is threading.main_thread() and
                signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self.old = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *a):
        if self.old is not None:
            signal.signal(signal.SIGINT, self.old)

    def check(self, rc, err):
        """Raise for rc: KeyboardInterrupt when the run was interrupted, else the library's
        error as a Python exception."""
        if self.exc is not None:
            raise self.exc
        if self.hit:
            raise KeyboardInterrupt
        if self.stopped and rc == LB_ECANCELED:
            raise _lib.Cancelled(err.msg.decode("utf-8", "replace"))
        if rc:
            if rc == LB_ECANCELED:
                raise KeyboardInterrupt(err.msg.decode("utf-8", "replace"))
            _lib.raise_for(rc, err)


class _Job:
    def __init__(self):
        self.p = ctypes.c_void_p()
        err = _lib.Error()
        rc = _job_new(ctypes.byref(self.p), ctypes.byref(err))
        if rc:
            _lib.raise_for(rc, err)

    def set(self, flag, value=None):
        err = _lib.Error()
        v = None if value is None else (os.fsencode(value) if isinstance(value, os.PathLike)
                                         else str(value).encode("utf-8"))
        if v is not None and b"\0" in v:
            raise ValueError(f"{flag}: holds a NUL character")
        rc = _job_set(self.p, flag.encode("ascii"), v, ctypes.byref(err))
        if rc:
            _lib.raise_for(rc, err)

    def lines(self, p):
        n = ctypes.c_size_t()
        ptr = _job_lines(self.p, p, ctypes.byref(n))
        return None if not ptr else ctypes.string_at(ptr, n.value).decode("utf-8")

    def close(self):
        if self.p:
            _job_free(self.p)
            self.p = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


def _num(name, v):
    """A number as the CLI reads it (repr keeps every bit of a float)."""
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise _lib.InputTypeError(f"{name}: expected a number, got {type(v).__name__}")
    return repr(float(v)) if isinstance(v, (float, np.floating)) else str(int(v))


# keyword -> flag for the options both calls share (None: not given, the CLI's default)
_SAMPLING = ("n", "seed", "temperature", "top_p", "top_k", "min_p", "max_new_tokens",
             "max_length", "batch", "kv_budget", "threads", "limit", "confidence_threshold",
             "low_temperature")
_STRINGS = ("template", "tokenizer", "data_format", "confidence")
_SWITCHES = ("adaptive_temperature", "verbose")


def _flag(k):
    return "n" if k == "n" else k.replace("_", "-")


def _configure(job, kw, argv):
    """Hand kw (keyword arguments named as the CLI's flags with underscores) to the job; argv
    gets the equivalent command line."""
    for k, v in kw.items():
        if v is None or v is False:
            continue
        flag = _flag(k)
        values = v if k in ("stop", "threshold", "thresholds", "strip_prefix") else [v]
        if k == "thresholds":
            flag = "threshold"
        if isinstance(values, (str, bytes)):
            values = [values]
        for x in values:
            if v is True:
                job.set(flag)
                argv.append("--" + flag)
                continue
            if isinstance(x, (str, os.PathLike)):
                s = os.fsdecode(x) if isinstance(x, os.PathLike) else x
            elif k in ("stop", "strip_prefix"):
                raise _lib.InputTypeError(f"{k}: expected str, got {type(x).__name__}")
            else:
                s = _num(k, x)
            job.set(flag, s)
            argv += ["-n" if flag == "n" else "--" + flag, s]


def _write_items(path, items):
    """items: a list of dicts, one JSON line each, as a data set file the CLI reads."""
    with open(path, "w", encoding="utf-8") as f:
        for i, it in enumerate(items):
            if not isinstance(it, dict):
                raise _lib.InputTypeError(f"data[{i}]: expected a dict (an item), got "
                                          f"{type(it).__name__}")
            f.write(json.dumps(it, ensure_ascii=False) + "\n")


class Samples(list):
    """What leakbound.sample returns: a list with, per prompt, the list of its n texts (in
    sample order, as `leakbound sample` writes them), and beside it:
      .ids     each prompt's id (the random streams' key)
      .tokens  per prompt, each sample's generated token count
      .finish  per prompt, each sample's finish reason ("eos", "stop", "length")
      .greedy  per prompt, the greedy answer's dict {"text", "tokens", "finish"} (greedy_too),
               else None
      .lines   per prompt, the JSONL lines `leakbound sample` writes for it (one str)"""


def sample(model_dir, prompts, ids=None, n=1, seed=0, temperature=None, top_p=None, top_k=None,
           min_p=None, max_new_tokens=None, max_length=None, template="raw", stop=(),
           greedy_too=False, tokenizer=None, threads=None, out=None, resume=False,
           progress=None, **kw):
    """Sample n answers for each prompt, as `leakbound sample --model MODEL_DIR --data FILE -n N
    --seed SEED ...` does for a file holding one item {"id": id, "question": prompt} per
    prompt: the same ids and seed give the same texts, byte for byte.

    prompts: a sequence of str (each rendered with template: raw (default), phi, llama2, chat
    or a literal with {q}). ids: a sequence of str or int, one per prompt, unique (default:
    none given, so each prompt's 0-based index, as the CLI numbers items without an id).
    The sampler settings not given (None) come from MODEL_DIR/generation_config.json, else
    Hugging Face's defaults (`leakbound sample --help`). stop: a str or strings. Other
    keyword arguments are the remaining flags with underscores (batch, kv_budget, limit,
    adaptive_temperature, confidence, confidence_threshold, low_temperature, verbose).
    out: also write the file `leakbound sample -o OUT` writes (the same bytes, and
    OUT.settings.json), each prompt's group appended whole as it completes; OUT is locked while
    the call writes it (a second writer raises ValueError, or waits with wait=True).
    resume=True (with out): keep the complete groups OUT already holds (a trailing partial
    group, from an interrupted run, is dropped) and sample the other prompts, as `--resume`;
    the settings and prompts must be those OUT was made with (else ValueError naming the
    setting that differs). The prompts OUT already held come back from the library's resume
    scan (OUT's bytes of each, not read again), so the Samples returned always covers every
    prompt, equal to an uninterrupted run's.
    progress: None or a callable called after each decoding step with a dict {"done": answers
    drawn, "total": prompts x (n + greedy_too), "rate": answers/s, "eta_s", "seconds",
    "prompts_done", "prompts_total", "tokens_per_s"} (the numbers of the CLI's progress line);
    returning True stops the run (leakbound.Cancelled), raising stops it with that exception.
    Returns a Samples list (see its docstring). Ctrl-C stops the run (KeyboardInterrupt; OUT
    keeps the groups completed, for resume=True); bad input raises ValueError/OSError with the
    library's message."""
    _check_progress(progress)
    if isinstance(prompts, str):
        raise _lib.InputTypeError("prompts: expected a list of str, got one str")
    prompts = list(prompts)
    for i, q in enumerate(prompts):
        if not isinstance(q, str):
            raise _lib.InputTypeError(f"prompts[{i}]: expected a str, got {type(q).__name__}")
    if ids is not None:
        ids = list(ids)
        if len(ids) != len(prompts):
            raise ValueError(f"ids and prompts differ in length ({len(ids)} vs {len(prompts)})")
        for i, x in enumerate(ids):
            if isinstance(x, bool) or not isinstance(x, (str, int, np.integer)):
                raise _lib.InputTypeError(f"ids[{i}]: expected a str or an int, got "
                                          f"{type(x).__name__}")
    items = [{"question": q} if ids is None else
             {"id": ids[i] if isinstance(ids[i], str) else int(ids[i]), "question": q}
             for i, q in enumerate(prompts)]
    if isinstance(stop, str):
        stop = [stop]
    opts = dict(n=n, seed=seed, temperature=temperature, top_p=top_p, top_k=top_k, min_p=min_p,
                max_new_tokens=max_new_tokens, max_length=max_length, template=template,
                stop=list(stop), greedy_too=bool(greedy_too), tokenizer=tokenizer,
                threads=threads, **kw)
    with tempfile.TemporaryDirectory(prefix="leakbound-sample-") as tmp, _Job() as job:
        data = os.path.join(tmp, "prompts.jsonl")
        _write_items(data, items)
        job.set("model", model_dir)
        job.set("data", data)
        _configure(job, opts, [])
        if out is not None:
            job.set("output", out)
        if resume:
            job.set("resume")
        err = _lib.Error()
        with _Interrupt(progress) as intr:
            rc = _job_sample(job.p, intr.cb, None, ctypes.byref(err))
        _warn(job)
        intr.check(rc, err)
        P = _job_n_items(job.p)
        res = Samples()
        res.ids, res.tokens, res.finish, res.greedy, res.lines = [], [], [], [], []
        for p in range(P):
            text = job.lines(p) or ""  # sampled now, or (resume) the group OUT already held
            rows = [json.loads(x) for x in text.splitlines()]
            g = rows[0] if rows and rows[0].get("sample") == -1 else None
            rows = rows[1:] if g is not None else rows
            res.append([r["text"] for r in rows])
            res.ids.append(rows[0]["id"] if rows else (g["id"] if g else
                           (ids[p] if ids is not None else p)))
            res.tokens.append([r["tokens"] for r in rows])
            res.finish.append([r["finish"] for r in rows])
            res.greedy.append(None if g is None else
                              {k: g[k] for k in ("text", "tokens", "finish")})
            res.lines.append(text)
        return res


def eval(model_dir=None, data=None, out=None, argv=None, samples=None, progress=None,  # noqa: A001
         **kw):
    """`leakbound eval --model MODEL_DIR --data DATA --out OUT ...` in-process: the greedy
    answer and n samples per question, scored, bounded and reported by the same C code.
    With samples=PATH, `leakbound eval --samples PATH [--data DATA] --out OUT ...` instead: no
    model and no sampling, the answers in the file PATH (the shapes `leakbound eval --help`
    lists) scored, bounded and reported (docs/evaluation.md, 'Input files').

    data: a data set file (TOFU JSON/JSONL, Harry Potter CSV) or a list of item dicts
    ({"id", "question", "answer" or "keywords", ...}, written to a temporary JSONL file, which
    the report's provenance then names); with samples, optional: each id's reference,
    keywords and question from the item of that id. Keyword arguments are the CLI's flags with
    underscores: n (required), metric (required), seed, template, temperature, top_p, top_k,
    min_p, max_new_tokens, max_length, stop, alpha, method, thresholds (a list; or threshold),
    leak_threshold, ed_lambda, plot_prompts, harm_rate, keyword_match, strip_prefix, judge
    (the judge folder), judge_template, judge_labels, judge_threshold, judge_batch, tokenizer,
    threads, batch, kv_budget, limit, data_format, verbose, wait; with samples (and then no
    model_dir, n or sampling keyword: ValueError as the CLI refuses them): metric (required),
    text_field, id_field, reference_field, keywords_field, prompt_field, greedy_field,
    allow_duplicates=True, and the scoring, bound and judge keywords above.
    out: the folder to write samples.jsonl, report.json, report.md and the plots into, as the
    CLI does (default: a temporary folder, removed). argv: the command line the report's
    provenance records (default: the equivalent `leakbound eval ...` command).
    Returns report.json as a dict, with "scores" the (P, n) float64 matrix of the sampled
    scores (prompts in report order) and "greedy_scores" the (P,) greedy scores (NaN where a
    prompt has none), numpy arrays.
    With metric="judge", labels the judge hardly writes (mean p_A + p_B over its first batch
    below 0.01) issue a leakbound.JudgeLabelWarning with the CLI's warning text, once; a
    Harry Potter CSV data set with blanks around quoted fields a leakbound.DataWarning, as the
    CLI warns. Ctrl-C stops the run, with samples too (KeyboardInterrupt; out untouched).
    progress: None or a callable, as sample()'s (total: questions x (n + 1)); with samples,
    "done" and "total" are the file's bytes read and its size (0 for a pipe), "rate" the
    answers scored per second, "answers" their count. Returning True stops the run (leakbound.Cancelled; out
    untouched); raising stops it with that exception.
    """
    _check_progress(progress)
    for name, v in (("model_dir", model_dir), ("samples", samples)):
        if v is not None and not isinstance(v, (str, os.PathLike)):
            raise _lib.InputTypeError(f"{name}: expected a path, got {type(v).__name__}")
    with tempfile.TemporaryDirectory(prefix="leakbound-eval-") as tmp, _Job() as job:
        path = None
        if isinstance(data, (str, os.PathLike)):
            path = os.fspath(data)
        elif data is not None:
            items = list(data)
            path = os.path.join(tmp, "data.jsonl")
            _write_items(path, items)
        dest = os.fspath(out) if out is not None else os.path.join(tmp, "out")
        cmd = ["leakbound", "eval"]
        for flag, v in (("samples", samples), ("model", model_dir), ("data", path)):
            if v is not None:
                job.set(flag, v)
                cmd += ["--" + flag, os.fsdecode(os.fspath(v))]
        _configure(job, kw, cmd)
        job.set("out", dest)
        cmd += ["--out", os.fsdecode(dest)]
        if argv is not None:
            cmd = [str(a) for a in argv]
        arr = (ctypes.c_char_p * max(len(cmd), 1))(*[a.encode("utf-8") for a in cmd])
        err = _lib.Error()
        with _Interrupt(progress, by_bytes=samples is not None) as intr:
            rc = _job_eval(job.p, len(cmd), arr, intr.cb, None, ctypes.byref(err))
        _warn(job, judge_first=samples is not None)
        intr.check(rc, err)
        with open(os.path.join(dest, "report.json"), encoding="utf-8") as f:
            report = json.load(f)
        n = ctypes.c_size_t()
        g = _lib.c_double_p()
        s = _job_scores(job.p, ctypes.byref(n), ctypes.byref(g))
        P = _job_n_items(job.p)
        report["scores"] = np.ctypeslib.as_array(s, (P, n.value)).copy() if P and n.value else \
            np.zeros((P, n.value))
        report["greedy_scores"] = np.ctypeslib.as_array(g, (P,)).copy() if P else np.zeros(0)
        return report


class _Scores(ctypes.Structure):
    """lb_scores_t (include/leakbound/score.h), checked against lb_scores_struct_size()."""
    _fields_ = [("n_prompts", ctypes.c_size_t), ("n_scores", ctypes.c_size_t),
                ("scores", _lib.c_double_p), ("offset", _lib.c_size_p),
                ("keys", ctypes.c_void_p), ("key_off", _lib.c_size_p),
                ("sha256", ctypes.c_char * 65), ("greedy", _lib.c_double_p),
                ("n_greedy", ctypes.c_size_t)]


_reader = []


def _scores_reader():
    """lb_scores_read and lb_scores_free, once the library's lb_scores_t is checked to be the
    size mirrored here (a mismatch would corrupt memory: refused)."""
    if not _reader:
        try:
            size = _lib._sig("lb_scores_struct_size", ctypes.c_size_t)()
        except AttributeError:
            size = None
        if size != ctypes.sizeof(_Scores):
            raise OSError(f"leakbound: lb_scores_t in {_lib.path} is "
                          f"{'unknown' if size is None else size} bytes, "
                          f"{ctypes.sizeof(_Scores)} here: use the package and the library of "
                          "one release")
        _reader.append(_lib._sig("lb_scores_read", ctypes.c_int, ctypes.c_char_p,
                                 ctypes.c_uint, ctypes.POINTER(_Scores), _lib.c_err_p))
        _reader.append(_lib._sig("lb_scores_free", None, ctypes.POINTER(_Scores)))
    return _reader


LB_SCORES_ALLOW_DUPLICATES = 1


class LoadedSamples:
    """What load_samples returns: ids (each prompt's id, str or int as in the file, in order
    of first appearance), scores (the (P, n) float64 matrix, samples in file order; a list of
    1-D arrays with ragged=True), greedy ((P,) float64, NaN where a prompt has no
    "sample": -1 line), sha256 (of the bytes read)."""

    def __init__(self, ids, scores, greedy, sha256):
        self.ids, self.scores, self.greedy, self.sha256 = ids, scores, greedy, sha256

    def __repr__(self):
        shape = self.scores.shape if isinstance(self.scores, np.ndarray) else len(self.scores)
        return f"LoadedSamples(prompts={len(self.ids)}, scores={shape})"


def load_samples(path, allow_duplicates=False, ragged=False):
    """Read a samples or scores file (`leakbound sample`/`eval`'s samples.jsonl with scores,
    `leakbound score`'s output, or {"id", "score"|"scores"} lines) as `leakbound bound` reads it
    (lb_scores_read): lines with "sample": -1 are the greedy scores, kept apart; a repeated
    (id, sample) pair is refused unless allow_duplicates=True. Prompts whose sample counts
    differ raise ValueError unless ragged=True. Returns a LoadedSamples (.ids, .scores (P, n),
    .greedy (P,), .sha256). Bad lines raise ValueError naming FILE:LINE, a missing file
    OSError."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise _lib.InputTypeError(f"path: expected a file path, got {type(path).__name__}")
    _scores_read, _scores_free = _scores_reader()
    s, err = _Scores(), _lib.Error()
    rc = _scores_read(os.fsencode(path), LB_SCORES_ALLOW_DUPLICATES if allow_duplicates else 0,
                      ctypes.byref(s), ctypes.byref(err))
    if rc:
        _lib.raise_for(rc, err)
    try:
        P = s.n_prompts
        off = np.ctypeslib.as_array(s.offset, (P + 1,)).astype(np.int64)
        ko = np.ctypeslib.as_array(s.key_off, (P + 1,)).astype(np.int64)
        allv = np.ctypeslib.as_array(s.scores, (s.n_scores,)).copy() if s.n_scores else \
            np.zeros(0)
        keys = ctypes.string_at(s.keys, int(ko[-1])) if P else b""
        ids = []
        for p in range(P):
            k = keys[ko[p]:ko[p + 1]]
            if k[:1] == b"i":
                ids.append(int.from_bytes(k[1:], sys.byteorder, signed=True))
            else:
                ids.append(k[1:].decode("utf-8"))
        greedy = (np.ctypeslib.as_array(s.greedy, (P,)).copy() if s.greedy and P
                  else np.full(P, np.nan))
        sha = s.sha256.decode("ascii")
    finally:
        _scores_free(ctypes.byref(s))
    counts = np.diff(off)
    rows = [allv[off[p]:off[p + 1]] for p in range(P)]
    if ragged:
        return LoadedSamples(ids, rows, greedy, sha)
    if P and (counts != counts[0]).any():
        q = int(np.argmax(counts != counts[0]))
        raise ValueError(f"{os.fsdecode(path)}: ids have different sample counts ({ids[0]!r}: "
                         f"{counts[0]}, {ids[q]!r}: {counts[q]}); pass ragged=True for a list "
                         "of rows")
    mat = allv.reshape(P, int(counts[0]) if P else 0)
    return LoadedSamples(ids, mat, greedy, sha)
