from promptflow.core import tool

LABELS = ("billing", "technical", "shipping", "account", "other")


@tool
def parse_label(answer: str) -> str:
    """Models add punctuation or a sentence; keep the first known label in the answer."""
    lowered = answer.lower()
    found = [(lowered.find(label), label) for label in LABELS if label in lowered]
    return min(found)[1] if found else "other"
