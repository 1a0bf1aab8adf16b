import re

from promptflow.core import tool


@tool
def normalize(text: str) -> str:
    """variant_1: lower-case words without punctuation, with a crude plural stemmer
    ("files" -> "file"), so keyword rules match more phrasings."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)
