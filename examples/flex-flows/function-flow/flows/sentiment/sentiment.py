"""Lexicon sentiment for short product reviews: offline and deterministic."""
import re
from typing import TypedDict

from promptflow.tracing import trace

POSITIVE = {"great", "love", "excellent", "fast", "perfect", "happy", "recommend", "works", "good", "sturdy"}
NEGATIVE = {"broken", "slow", "terrible", "refund", "disappointed", "bad", "cheap", "stopped", "late", "waste"}
NEGATIONS = {"not", "never", "no", "hardly"}


class Sentiment(TypedDict):
    sentiment: str
    score: int


@trace
def score_sentiment(text: str) -> Sentiment:
    words = re.findall(r"[a-z']+", text.lower())
    score = 0
    for index, word in enumerate(words):
        polarity = (word in POSITIVE) - (word in NEGATIVE)
        # "not good" counts as negative
        if polarity and index > 0 and words[index - 1] in NEGATIONS:
            polarity = -polarity
        score += polarity
    sentiment = "positive" if score > 0 else "negative" if score < 0 else "neutral"
    return Sentiment(sentiment=sentiment, score=score)
