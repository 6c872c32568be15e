"""Content gaps: the questions the articles do not answer, grouped by meaning.

Questions are embedded with the bot's own model (recomputed from the scrubbed
text in the log, so no vector is stored) and grouped by average-linkage
clustering on cosine distance: two questions land in one group when they are,
on average, closer than ``similarity``. Groups are ranked by how many patients
asked. Small talk, off-topic requests and personal medical questions are not
content gaps: they are counted apart.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from core.textnorm import fold

# Reasons that are not missing content, with the label staff see.
APART = {
    "small_talk": "Politesse",
    "out_of_scope": "Hors sujet",
    "off_topic": "Hors sujet",
    "personal_medical_advice": "Avis médical personnel",
}
GAP_REASONS = ("not_in_articles", "fact_not_in_articles")
# Average cosine similarity within a group. With the bundled e5 model, 0.9 kept apart the topics of a
# 15-question hand-written set (rhinoplasty, refunds, gift cards, parking…) and joined their rephrasings,
# except across languages and one pair of unrelated treatments; 0.86 merged unrelated topics.
# The hashing embedder of the tests only shares words.
DEFAULT_SIMILARITY = 0.9
HASHING_SIMILARITY = 0.5
MAX_QUESTIONS = 1000


def similarity_for(model_name: str) -> float:
    """The grouping threshold for the bot's embedding model."""
    return HASHING_SIMILARITY if model_name.startswith("hashing") else DEFAULT_SIMILARITY


@dataclass
class Gap:
    """A group of unanswered questions."""

    key: str
    count: int
    examples: list[str]
    last_day: str
    nearest_article: str | None = None
    nearest_title: str | None = None
    nearest_similarity: float | None = None
    done: bool = False
    keys: list[str] = field(default_factory=list)


def question_key(question: str) -> str:
    """The folded text a question is remembered by (the same question typed twice has one key)."""
    return " ".join(fold(question).split()).strip(" ?!.")


def _cluster(vectors: np.ndarray, similarity: float) -> list[int]:
    if len(vectors) == 1:
        return [0]
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=1.0 - similarity
    )
    return [int(label) for label in model.fit_predict(vectors)]


def content_gaps(
    rows: list[dict],
    encode,
    nearest=None,
    done_keys: set[str] | frozenset = frozenset(),
    similarity: float = DEFAULT_SIMILARITY,
) -> tuple[list[Gap], dict[str, int]]:
    """Group the unanswered questions of the answer log.

    Args:
        rows: answer log rows (``question``, ``status``, ``reason``, ``day``), most recent first.
        encode: a question's normalised vector (the bot's ``embedder.encode_query``).
        nearest: ``vector → (source, title, similarity)`` of the closest article, or None.
        done_keys: question keys staff marked as dealt with.
        similarity: how close questions of one group are, on average (cosine).

    Returns:
        the groups, largest first, and the count of each reason set apart.
    """
    apart: Counter[str] = Counter()
    gaps_rows = []
    for row in rows[:MAX_QUESTIONS]:
        if row["status"] != "no_answer":
            continue
        if row["reason"] in APART:
            apart[APART[row["reason"]]] += 1
        elif row["reason"] in GAP_REASONS:
            gaps_rows.append(row)
    if not gaps_rows:
        return [], dict(apart)
    # One vector per distinct question: the same question asked ten times counts ten, embeds once.
    by_key: dict[str, list[dict]] = {}
    for row in gaps_rows:
        by_key.setdefault(question_key(row["question"]), []).append(row)
    keys = list(by_key)
    vectors = np.vstack([np.asarray(encode(by_key[k][0]["question"]), dtype=np.float32) for k in keys])
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.where(norms == 0, 1, norms)
    labels = _cluster(vectors, similarity)
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(label, []).append(i)
    gaps: list[Gap] = []
    for members in groups.values():
        member_keys = [keys[i] for i in members]
        count = sum(len(by_key[k]) for k in member_keys)
        centroid = vectors[members].mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        # The most asked question names the group; ties go to the one closest to the group's centre.
        closeness = vectors[members] @ centroid
        order = sorted(range(len(members)), key=lambda j: (-len(by_key[member_keys[j]]), -closeness[j]))
        examples = [by_key[member_keys[j]][0]["question"] for j in order[:5]]
        gap = Gap(
            key=member_keys[order[0]],
            count=count,
            examples=examples,
            last_day=max(r["day"] for k in member_keys for r in by_key[k]),
            done=all(k in done_keys for k in member_keys),
            keys=member_keys,
        )
        if nearest is not None:
            found = nearest(centroid)
            if found:
                gap.nearest_article, gap.nearest_title, gap.nearest_similarity = found
        gaps.append(gap)
    gaps.sort(key=lambda g: (g.done, -g.count, g.last_day and -int(g.last_day.replace("-", "")), g.key))
    return gaps, dict(apart)
