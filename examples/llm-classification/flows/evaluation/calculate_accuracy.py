from typing import List

from promptflow.core import log_metric, tool


@tool
def calculate_accuracy(grades: List[str], groundtruths: List[str]) -> dict:
    """Aggregation node: receives the lists over all successful lines; logs overall accuracy
    and one accuracy per ground-truth category."""
    total = len(grades)
    accuracy = round(grades.count("Correct") / total, 4) if total else 0.0
    log_metric("accuracy", accuracy)
    per_category = {}
    for category in sorted(set(groundtruths)):
        mine = [g for g, t in zip(grades, groundtruths) if t == category]
        per_category[category] = round(mine.count("Correct") / len(mine), 4)
        log_metric(f"accuracy.{category}", per_category[category])
    return {"accuracy": accuracy, "per_category": per_category}
