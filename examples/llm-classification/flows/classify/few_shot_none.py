from promptflow.core import tool


@tool
def examples(text: str) -> str:
    """variant_0: zero-shot, the prompt gets no examples."""
    return ""
