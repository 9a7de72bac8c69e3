"""Quality floors of the timeline on a small ML-Crisis subset (es/yemen, fr/libya), scored
like bench/timeline_eval.py, against its random and first-sentence baselines."""

import importlib.util
import tempfile
from datetime import date
from pathlib import Path

import pytest

from newsdesk.ai.dates import mentioned_dates

SHARED = Path(__file__).resolve().parents[2] / "shared"
ARCHIVE = SHARED / "eval" / "ml-crisis-tls" / "ml-crisis-txt-and-references.tar.gz"
BENCH = Path(__file__).resolve().parents[1] / "bench" / "timeline_eval.py"
FLOORS = {"date_f1": 0.24, "concat_r1": 0.33, "concat_r2": 0.045, "agree_r1": 0.03,
          "agree_r2": 0.005, "align_r1": 0.045, "align_r2": 0.008}


def test_mentioned_dates_in_four_languages():
    pub = date(2011, 2, 3)
    assert mentioned_dates("Protests began on January 25 in Cairo.", pub) == [date(2011, 1, 25)]
    assert mentioned_dates("Las protestas del 25 de enero de 2011 siguen.", pub) == [date(2011, 1, 25)]
    assert mentioned_dates("Le 28 janvier, la police a tiré.", pub) == [date(2011, 1, 28)]
    assert mentioned_dates("Il 2 febbraio sono arrivati i cammelli.", pub) == [date(2011, 2, 2)]
    assert mentioned_dates("On 30 December the talks ended.", pub) == [date(2010, 12, 30)]
    assert mentioned_dates("No dates here.", pub) == []


@pytest.mark.slow
def test_timeline_beats_baselines_and_floors():
    if not ARCHIVE.exists():
        pytest.skip(f"ML-Crisis archive not found at {ARCHIVE} (needs ../shared)")
    spec = importlib.util.spec_from_file_location("timeline_eval", BENCH)
    te = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(te)
    with tempfile.TemporaryDirectory() as tmp:
        root = te.extract(ARCHIVE, Path(tmp))
        results = {}
        for lang, topic in (("es", "yemen"), ("fr", "libya")):
            for method, scores in te.evaluate(root, [lang], [topic]).items():
                results.setdefault(method, {}).update(scores)
    ours, rnd, first = (te.averages(results[m]) for m in ("ours", "random", "first-sent"))
    for metric, floor in FLOORS.items():
        assert ours[metric] >= floor, (metric, ours[metric])
        assert ours[metric] > rnd[metric] and ours[metric] > first[metric], (metric, ours, rnd, first)
