from typing import List, TypedDict


class Grade(TypedDict):
    correct: bool


class SentimentAccuracy:
    def __init__(self):
        # promptflow reads the class signature from __init__; object.__init__ has none to read.
        pass

    def __call__(self, groundtruth: str, prediction: str) -> Grade:
        return Grade(correct=groundtruth.strip().lower() == prediction.strip().lower())

    def __aggregate__(self, line_results: List[Grade]) -> dict:
        total = len(line_results)
        correct = sum(1 for result in line_results if result["correct"])
        return {"accuracy": round(correct / total, 4) if total else 0.0}
