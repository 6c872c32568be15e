"""Topics patients ask a clinic about, to notice when the articles never mention them.

A question about a treatment the clinic has not written about ("rhinoplastie",
"cryolipolyse", "veneers") or a practical matter its articles do not cover
("parking", "carte cadeau") often shares every other word with some article,
so retrieval finds a plausible but wrong passage. When the question names one
of these topics and the articles' vocabulary does not contain it, the bot says
plainly that its articles do not answer. Add an article on the topic and the
check lets the question through by itself: nothing here is an answer.
"""

from __future__ import annotations

from core.textnorm import stem, words

# Each entry is a phrase, folded; a phrase matches when all its words appear in order.
TOPICS_FR = ["", "rhinoplastie chirurgie du nez refaire le nez nez refait liposuccion lipoaspiration abdominoplastie", "lifting lifting cervico facial blepharoplastie paupieres tombantes otoplastie oreilles decollees", "augmentation mammaire protheses mammaires implants mammaires reduction mammaire seins lipofilling", "greffe de cheveux greffe capillaire implants capillaires fue fut cryolipolyse hifu ultrasons focalises", "radiofrequence prp plasma riche en plaquettes fils tenseurs fils tracteurs tatouage detatouage", "microblading maquillage permanent dermopigmentation varices sclerotherapie chirurgie des varices", "blanchiment dentaire blanchiment des dents facettes dentaires orthodontie implants dentaires", "myopie chirurgie des yeux lasik hydrafacial carbon peel peeling au carbone perfusion de vitamines", "perfusion iv ozempic wegovy saxenda sleeve anneau gastrique bbl fesses brazilian butt lift", "epilation a la cire cire manucure pedicure drainage lymphatique cellulite onglerie", "parking garer stationnement metro bus tramway rer gare ascenseur fauteuil roulant pmr handicap", "wifi carte cadeau cartes cadeaux bon cadeau fidelite parrainage livraison boutique en ligne", "mutuelle tiers payant remboursement mutuelle recrutement candidature cv emploi", ""]
TOPICS_EN = ["", "rhinoplasty nose job liposuction lipo tummy tuck abdominoplasty facelift face lift eyelid surgery", "blepharoplasty breast augmentation breast implants breast reduction boob job hair transplant", "cryolipolysis coolsculpting hifu radiofrequency prp platelet rich plasma thread lift tattoo removal", "tattoo microblading permanent makeup varicose veins teeth whitening veneers dental implants braces", "lasik eye surgery hydrafacial carbon peel iv drip vitamin drip nad ozempic wegovy semaglutide", "gastric sleeve bbl butt lift waxing manicure pedicure lymphatic drainage", "parking car park metro subway bus train station wheelchair elevator wifi", "gift card gift voucher voucher loyalty referral delivery online shop bupa hiring", ""]


def _phrases(blocks: list[str]) -> list[tuple[str, ...]]:
    """Split the blocks into phrases: known multi-word phrases first, then single words."""
    text = " ".join(blocks)
    phrases: list[tuple[str, ...]] = []
    multi = [
        "chirurgie du nez", "refaire le nez", "nez refait", "lifting cervico facial", "paupieres tombantes",
        "oreilles decollees", "augmentation mammaire", "protheses mammaires", "implants mammaires",
        "reduction mammaire", "greffe de cheveux", "greffe capillaire", "implants capillaires",
        "ultrasons focalises", "plasma riche en plaquettes", "fils tenseurs", "fils tracteurs",
        "maquillage permanent", "chirurgie des varices", "blanchiment dentaire", "blanchiment des dents",
        "facettes dentaires", "implants dentaires", "chirurgie des yeux", "carbon peel", "peeling au carbone",
        "perfusion de vitamines", "perfusion iv", "anneau gastrique", "brazilian butt lift",
        "epilation a la cire", "drainage lymphatique", "fauteuil roulant", "carte cadeau", "cartes cadeaux",
        "bon cadeau", "boutique en ligne", "tiers payant", "remboursement mutuelle", "nose job", "tummy tuck",
        "face lift", "eyelid surgery", "breast augmentation", "breast implants", "breast reduction",
        "boob job", "hair transplant", "platelet rich plasma", "thread lift", "tattoo removal",
        "permanent makeup", "varicose veins", "teeth whitening", "dental implants", "eye surgery",
        "iv drip", "vitamin drip", "gastric sleeve", "butt lift", "lymphatic drainage", "car park",
        "train station", "gift card", "gift voucher", "online shop",
    ]
    for phrase in multi:
        phrases.append(tuple(phrase.split()))
    covered = {w for p in multi for w in p.split()}
    for word in text.split():
        if word not in covered and (word,) not in phrases:
            phrases.append((word,))
    return phrases


TOPIC_PHRASES = _phrases(TOPICS_FR + TOPICS_EN)
# Phrases by their first word: a question is checked only against phrases that can start in it.
_BY_FIRST_WORD: dict[str, list[tuple[str, ...]]] = {}
for _phrase in TOPIC_PHRASES:
    _BY_FIRST_WORD.setdefault(_phrase[0], []).append(_phrase)


def _contains(sequence: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(sequence[i : i + n]) == phrase for i in range(len(sequence) - n + 1))


def uncovered_topics(question: str, corpus_stems: set[str], corpus_words: set[str]) -> list[str]:
    """Topics the question names that never appear in the articles.

    A phrase counts as covered when all its words occur in the articles
    (compared as folded words, or as French stems for inflected forms).
    """
    q_words = words(question)
    found: list[str] = []
    candidates = [p for w in dict.fromkeys(q_words) for p in _BY_FIRST_WORD.get(w, ())]
    for phrase in candidates:
        if not _contains(q_words, phrase):
            continue
        meaningful = [w for w in phrase if len(w) > 2 or len(phrase) == 1]
        if all(w in corpus_words or stem(w) in corpus_stems for w in meaningful):
            continue
        found.append(" ".join(phrase))
    return found
