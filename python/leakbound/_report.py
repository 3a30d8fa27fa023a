"""leakbound.load_report: a `leakbound bound` document or an eval report.json as Python
objects, with the per-prompt rows as a pandas DataFrame when pandas is installed."""
import json
import math


class Report(dict):
    """The report document as a dict (alpha, method, prompts, summary, and eval's settings
    when there are some), plus:
    - prompts: the list of per-prompt dicts (report["prompts"]);
    - frame: those rows as a pandas DataFrame (one row per prompt, M_gen/P_ge flattened to
      columns "M_gen>=t" / "P_ge>=t", null as NaN), or None when pandas is not installed."""

    @property
    def prompts(self):
        return self["prompts"]

    @property
    def frame(self):
        try:
            import pandas
        except ImportError:
            return None
        return pandas.DataFrame([flat_row(p) for p in self["prompts"]])


def flat_row(p):
    """One prompt's dict with nested threshold objects flattened and null as NaN."""
    row = {}
    for k, v in p.items():
        if isinstance(v, dict):
            for t, x in v.items():
                row[f"{k}>={t}"] = math.nan if x is None else x
        else:
            row[k] = math.nan if v is None and k != "id" else v
    return row


class _Constant(Exception):
    pass


def _no_constant(name):
    """json's hook for NaN, Infinity and -Infinity, which Python's json accepts but JSON does
    not (leakbound writes null for a missing number)."""
    raise _Constant(name)


def load_report(path):
    """Read a report: `leakbound bound`'s JSON output, or `leakbound eval`'s report.json.
    Returns a Report (a dict; .prompts, .frame). Raises OSError when the file cannot be read
    and ValueError (naming the file, line and column) when it is not such a report."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        doc = json.loads(data, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}:{e.lineno}:{e.colno}: malformed JSON: {e.msg}") from None
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: not UTF-8 text: {e}") from None
    except _Constant as e:
        raise ValueError(f"{path}: {e.args[0]} is not JSON (a report holds only finite "
                         "numbers and null)") from None
    except RecursionError:
        raise ValueError(f"{path}: JSON nested too deeply to be a leakbound report (a report "
                         "nests a few levels)") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("prompts"), list):
        raise ValueError(f"{path}: not a leakbound report (expected a JSON object with a "
                         "\"prompts\" array)")
    for i, p in enumerate(doc["prompts"]):
        if not isinstance(p, dict):
            raise ValueError(f"{path}: prompts[{i}] is not an object")
    return Report(doc)
