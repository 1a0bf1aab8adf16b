from promptflow.core import tool

# Hand-picked examples, none of them from the evaluation data.
EXAMPLES = [
    ("My card was charged for a plan I never ordered.", "billing"),
    ("The mobile app shows a blank screen after login.", "technical"),
    ("The courier left my parcel at the wrong address.", "shipping"),
    ("How can I turn on two-factor authentication for my account?", "account"),
]


@tool
def examples(text: str) -> str:
    """variant_1: few-shot, four labelled examples for the prompt."""
    return "\n".join(f"Ticket: {ticket}\nCategory: {label}" for ticket, label in EXAMPLES)
