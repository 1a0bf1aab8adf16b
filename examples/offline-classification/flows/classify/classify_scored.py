from promptflow.core import tool

# Whole-word keywords; every hit scores one point for its category.
KEYWORDS = {
    "billing": {"charged", "billed", "refund", "invoice", "price", "payment", "card", "renewal", "plan", "subscription"},
    "technical": {"crash", "crashe", "error", "slow", "freezing", "sync", "update", "login", "button", "corrupted", "upload", "uploading", "file"},
    "shipping": {"package", "tracking", "deliver", "delivery", "parcel", "arrived", "courier", "box", "order"},
    "account": {"password", "account", "username", "email", "profile", "user", "locked", "delete"},
}
# Ties go to the category listed first.
PRIORITY = ["account", "shipping", "billing", "technical"]


@tool
def classify(text: str) -> str:
    """variant_1: keyword scoring over words, best score wins, 'other' when nothing scores."""
    words = set(text.replace("?", " ").replace(".", " ").replace(",", " ").split())
    scores = {category: len(words & keywords) for category, keywords in KEYWORDS.items()}
    best = max(PRIORITY, key=lambda category: scores[category])
    return best if scores[best] > 0 else "other"
