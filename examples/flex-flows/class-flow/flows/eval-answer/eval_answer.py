import re
from typing import List, TypedDict


class Score(TypedDict):
    f1: float
    matched: bool


def _tokens(text: str) -> List[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


class AnswerOverlap:
    def __init__(self):
        # promptflow reads the class signature from __init__; object.__init__ has none to read.
        pass

    def __call__(self, answer: str, expected: str) -> Score:
        got, want = _tokens(answer), _tokens(expected)
        common = sum(min(got.count(token), want.count(token)) for token in set(want))
        if common == 0:
            return Score(f1=0.0, matched=False)
        precision, recall = common / len(got), common / len(want)
        return Score(f1=round(2 * precision * recall / (precision + recall), 4), matched=recall == 1.0)

    def __aggregate__(self, line_results: List[Score]) -> dict:
        total = len(line_results)
        if total == 0:
            return {"f1": 0.0, "match_rate": 0.0}
        return {
            "f1": round(sum(result["f1"] for result in line_results) / total, 4),
            "match_rate": round(sum(1 for result in line_results if result["matched"]) / total, 4),
        }
