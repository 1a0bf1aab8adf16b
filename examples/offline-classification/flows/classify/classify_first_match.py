from promptflow.core import tool

# The first category with a keyword contained in the text wins; order matters.
RULES = [
    ("billing", ["charge", "refund", "invoice", "price", "payment"]),
    ("shipping", ["package", "tracking", "deliver", "parcel"]),
    ("account", ["password", "account", "username", "email"]),
    ("technical", ["crash", "error", "bug", "slow"]),
]


@tool
def classify(text: str) -> str:
    """variant_0: substring rules, first match wins, 'other' when nothing matches."""
    for category, keywords in RULES:
        if any(keyword in text for keyword in keywords):
            return category
    return "other"
