"""leakbound in Python: high-probability bounds on sampled scores, ROUGE and keyword scores,
and reports, over the C library libleakbound.so (through ctypes; numpy in and out).

    import numpy as np, leakbound
    leakbound.bounds(np.array([0.0, 0.5, 1.0, 0.25]))      # one prompt -> one dict
    leakbound.bounds(scores_2d, thresholds=(0.5, 0.9))     # prompts x samples -> list of dicts
    from leakbound import conbo                            # drop-in for conbo 0.1
    leakbound.score(texts, references, metric="rougeL-recall")
    leakbound.rouge("Paris is the capital", "Paris")
    leakbound.load_report("report.json").frame
    leakbound.sample("examples/default/model", ["Who wrote ...?"], n=4, seed=1)  # texts
    leakbound.eval(model_dir, data="forget.jsonl", n=16, metric="rougeL-recall")  # report
    leakbound.load_samples("samples.jsonl")                 # (P x n) scores, ids, greedy
    leakbound.bound_file("scores.jsonl", alpha=0.05)        # `leakbound bound`'s document

The library is found through $LEAKBOUND_LIB, then the build/ folder of the checkout this
package sits in, then the installed libleakbound.so.0.
"""
from ._lib import (Cancelled, DataWarning, InputTypeError, JudgeLabelWarning, path as library_path,
                   version as __version__)
from ._bounds import bound_file, bounds
from ._text import METRICS, Score, rouge, score
from ._report import Report, load_report
from ._eval import LoadedSamples, Samples, eval, load_samples, sample
from . import conbo

__all__ = ["bounds", "bound_file", "score", "rouge", "load_report", "Report", "Score", "conbo",
           "METRICS", "InputTypeError", "JudgeLabelWarning", "DataWarning", "library_path",
           "sample", "eval", "Samples", "load_samples", "LoadedSamples", "Cancelled"]
