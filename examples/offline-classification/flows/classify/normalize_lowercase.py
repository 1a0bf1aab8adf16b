from promptflow.core import tool


@tool
def normalize(text: str) -> str:
    """variant_0: lower-case only; punctuation stays glued to words ("refund?")."""
    return text.lower().strip()
