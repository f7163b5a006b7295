"""The demo's scenario: an AI co-founder of a small company, Brightloop.

Brightloop sells demand-forecasting software to independent bakeries. The agent
remembers business facts, market intelligence, strategic insights, how the team
works and who is who; it learns the founder's preferences and habits from a
conversation. Everything here is plain data; pgcortex.demo.agent drives it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The namespace the demo works in (cleared at the start of every run).
DEMO_NAMESPACE = "demo-cofounder"


@dataclass(frozen=True, slots=True)
class Fact:
    key: str
    content: str
    memory_type: str
    importance: int
    tags: tuple[str, ...] = ()
    confidence: float = 1.0
    metadata: dict[str, Any] = field(default_factory=dict)


FACTS: tuple[Fact, ...] = (
    Fact(
        "customers",
        "Brightloop sells demand-forecasting software to independent bakeries and has "
        "140 paying customers.",
        "business_fact",
        5,
        ("customers", "company"),
    ),
    Fact(
        "mrr",
        "Monthly recurring revenue reached 38,000 euros, growing about 9 percent month over month.",
        "business_fact",
        5,
        ("revenue", "metrics"),
        metadata={"source": "october board deck"},
    ),
    Fact(
        "runway",
        "With the funding round from June, the bank balance covers fourteen more months of "
        "expenses.",
        "business_fact",
        5,
        ("finance",),
    ),
    Fact(
        "churn",
        "Churn is concentrated among bakeries with fewer than three employees.",
        "market_intelligence",
        4,
        ("churn", "metrics"),
        confidence=0.8,
    ),
    Fact(
        "competitor",
        "Our largest competitor, CrumbMetrics, raised its prices by twenty percent this spring.",
        "market_intelligence",
        3,
        ("competitors", "pricing"),
        confidence=0.7,
    ),
    Fact(
        "coffee",
        "Expanding to coffee shops reuses the same demand model and roughly doubles the "
        "addressable market.",
        "strategic_insight",
        4,
        ("expansion", "strategy"),
        confidence=0.75,
    ),
    Fact(
        "wholesalers",
        "Partnering with flour wholesalers could become a cheap customer acquisition channel.",
        "strategic_insight",
        3,
        ("partnerships", "growth"),
        confidence=0.6,
    ),
    Fact(
        "deploys",
        "Deployments go out every Tuesday after the integration suite passes on staging.",
        "process_knowledge",
        3,
        ("engineering",),
    ),
    Fact(
        "retrain",
        "The forecasting model retrains nightly on each bakery's point-of-sale data.",
        "technical_knowledge",
        3,
        ("engineering", "ml"),
    ),
    Fact(
        "investor",
        "Maria Okafor at Vale Ventures led our first round and likes a short monthly email update.",
        "relationship",
        4,
        ("investors",),
    ),
    Fact(
        "ticket",
        "Support ticket ZX-4471: the Lyon shop's oven sensor stops reporting after midnight.",
        "technical_knowledge",
        2,
        ("support",),
    ),
    Fact(
        "plant",
        "Someone mentioned that the office plant needs water on Fridays.",
        "business_fact",
        1,
        ("office",),
    ),
    Fact(
        "lunch",
        "The team ordered pizza for lunch last Thursday.",
        "business_fact",
        1,
        ("office",),
    ),
)

#: The same content as FACTS["mrr"], spelled differently: exact dedup (normalised).
DUPLICATE_SPELLING = (
    "  monthly recurring revenue reached 38,000 EUROS, growing about 9 percent   month "
    "over month.  "
)

#: A reworded near duplicate of FACTS["runway"]: merged by embedding similarity.
NEAR_DUPLICATE = (
    "With the funding round from June, our bank balance covers fourteen more months of expenses."
)

#: Asked by meaning: shares no word with the runway memory.
SEMANTIC_QUERY = "How long can we survive financially?"

#: Found by keyword only: a ticket number means nothing to an embedding model.
KEYWORD_QUERY = "ZX-4471"

#: Preferences: (key, value, confidence, source).
PREFERENCES: tuple[tuple[str, Any, float, str], ...] = (
    ("communication.style", "concise bullet points", 0.9, "explicit"),
    ("communication.language", "English", 1.0, "explicit"),
    ("meetings.time", {"preferred": "mornings", "avoid": ["Friday afternoon"]}, 0.8, "observed"),
)

#: A conflicting update of lower confidence: offered, recorded, not applied.
CONFLICTING_PREFERENCE = ("communication.style", "long narrative reports", 0.4, "guess")

#: The conversation: (role, content).
CONVERSATION: tuple[tuple[str, str], ...] = (
    ("user", "What would pricing look like if we added a coffee shop tier?"),
    (
        "assistant",
        "A coffee shop tier could start at 59 euros a month, since the demand model is "
        "the same and onboarding is lighter.",
    ),
    ("user", "How does CrumbMetrics handle pricing for small shops?"),
    (
        "assistant",
        "CrumbMetrics charges per location and raised its pricing by twenty percent this "
        "spring, which hurts small shops most.",
    ),
    ("user", "Our strategy for next quarter should focus on pricing and retention."),
    ("user", "Can we test the new pricing with ten bakeries first?"),
    (
        "assistant",
        "Yes: pick ten bakeries across sizes, run the new pricing for six weeks and compare "
        "churn against the rest.",
    ),
    ("user", "Why do the smallest bakeries churn so fast?"),
    ("user", "Let's decide the pricing experiment on Monday."),
)

#: The question the context bundle is built for.
CONTEXT_QUERY = "Prepare the pricing discussion for Monday's meeting"

#: How far the clock moves for forgetting.
FORGET_AFTER_DAYS = 120
