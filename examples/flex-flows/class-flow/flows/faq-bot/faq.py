"""A FAQ bot that answers from a fixed table by word overlap: offline and deterministic.

`search_config.api_key` stands in for the key of a real search service: it shows how a class
flow receives a secret through init.json (`${api_key}` is filled from SEARCH_CONFIG_API_KEY).
"""
import re
from typing import TypedDict

from promptflow.tracing import trace

FAQ = [
    ("How do I reset my password?", "Use the Forgot password link on the sign-in page; the link is valid for one hour."),
    ("How long does shipping take?", "Standard shipping takes 3 to 5 business days, express takes 1 to 2."),
    ("Can I return an item?", "Items can be returned within 30 days in their original packaging for a full refund."),
    ("Do you ship internationally?", "We ship to 40 countries; duties are paid by the recipient."),
    ("How do I cancel my subscription?", "Open Account, then Billing, and choose Cancel subscription; it ends at the period's end."),
    ("Which payment methods do you accept?", "We accept credit cards, PayPal and bank transfer."),
]
STOPWORDS = {"how", "do", "i", "my", "can", "an", "a", "the", "you", "does", "which", "is", "to", "what", "of"}


class Answer(TypedDict):
    answer: str
    matched_question: str


def _words(text: str) -> set:
    return {word for word in re.findall(r"[a-z]+", text.lower()) if word not in STOPWORDS}


class FaqBot:
    def __init__(self, greeting: str, search_config: dict):
        if not search_config.get("api_key") or search_config["api_key"].startswith("${"):
            raise ValueError("search_config.api_key is not set: export SEARCH_CONFIG_API_KEY")
        self.greeting = greeting
        self.min_overlap = int(search_config.get("min_overlap", 1))

    @trace
    def __call__(self, question: str) -> Answer:
        asked = _words(question)
        overlap, best_question, best_answer = max(
            (len(asked & _words(faq_question)), faq_question, faq_answer) for faq_question, faq_answer in FAQ
        )
        if overlap < self.min_overlap:
            return Answer(answer=f"{self.greeting} Sorry, I don't know that one.", matched_question="")
        return Answer(answer=f"{self.greeting} {best_answer}", matched_question=best_question)
