"""Safety rules: emergencies and personal medical advice, caught before any retrieval."""

from __future__ import annotations

import pytest

from bot.safety import asks_personal_advice, emergency_rule, tells_personal_situation

EMERGENCIES = [
    # skin turning white / mottled + pain after a filler (vascular occlusion)
    "Ma peau devient toute blanche et j'ai très mal depuis mon filler",
    "la peau est devenue blanche et tres douloureuse apres l'injection d'acide hyaluronique",
    "zone marbree et douleur intense apres mon injection de filler",
    "my skin turned white and it hurts so much after the filler",
    # vision
    "je vois flou depuis l'injection dans le front",
    "vision floue apres injection d acide hyaluronique",
    "I have blurred vision after my filler injection",
    # breathing / throat
    "je n'arrive plus à respier depuis le botox",  # typo in the key word
    "je narrive plus a respirer depuis le botox",  # apostrophe left out
    "j'ai du mal à respirer et ma gorge gonfle",
    "my throat is swelling and I can't breathe",
    "I cant breathe and my throat is closing",
    # infection
    "j'ai de la fievre et du pus sort du point d'injection",
    "fièvre à 39 et la zone est rouge et chaude après le microneedling",
    "I have a fever and pus is coming out after the treatment",
    # pain
    "douleur insupportable apres mon injection",
    "j'ai une douleur dans la poitrine depuis ce matin",
    "chest pain since my session",
    # fainting
    "je me suis evanouie apres la seance",
    "I fainted after the injection",
    # suicidal thoughts
    "j'ai envie de mourir, mon visage est raté",
    "j'ai des pensees suicidaires depuis mon injection ratee",
    "jai envie d'en finir",
    "I want to kill myself",
    "I want to end my life, my face is ruined",
]

NORMAL_AFTER_EFFECTS = [
    "un petit bleu après mon filler, c'est normal ?",
    "je suis un peu gonflée le lendemain du botox",
    "un peu gonflée le lendemain du botox",
    "rougeurs après microneedling, est-ce normal ?",
    "la peau pèle après le rétinol",
    "la peau respire-t-elle sous le maquillage ?",
    "j'ai un peu mal au point d'injection, c'est normal ?",
    "combien de temps durent les rougeurs après un laser ?",
    "le laser est-il douloureux ?",
    "ma peau tire un peu après le peeling",
    "mes lèvres sont un peu gonflées après l'acide hyaluronique",
    "how long does swelling last after filler?",
]


@pytest.mark.parametrize("message", EMERGENCIES)
def test_emergency_rule_fires(message):
    assert emergency_rule(message) is not None


@pytest.mark.parametrize("message", NORMAL_AFTER_EFFECTS)
def test_emergency_rule_does_not_fire_on_normal_after_effects(message):
    assert emergency_rule(message) is None


@pytest.mark.parametrize(
    "message, rule",
    [
        ("je vois flou depuis l'injection", "vision_problem"),
        ("my throat is swelling and I can't breathe", "breathing_or_throat"),
        ("I want to kill myself", "suicidal_thoughts"),
        ("j'ai une douleur dans la poitrine", "chest_pain"),
        ("je me suis évanouie après la séance", "loss_of_consciousness"),
    ],
)
def test_emergency_rule_names_the_rule(message, rule):
    assert emergency_rule(message) == rule


def test_emergency_rule_is_case_and_accent_insensitive():
    assert emergency_rule("LA PEAU DEVIENT BLANCHE ET J'AI TRÈS MAL APRÈS LE FILLER") is not None
    assert emergency_rule("la peau devient blanche et j ai tres mal apres le filler") is not None


PERSONAL = [
    "mon grain de beauté a changé de couleur, est-ce un cancer ?",
    "est-ce que c'est un mélanome ?",
    "my mole is growing and bleeding, is it cancer?",
    "Is this mole on my arm a skin cancer?",
    "should I stop my antidepressant before the filler?",
]

# The patient's own situation and a care: not refused before the articles are read (they often
# answer it: contraindications), never a diagnosis or a change of medication either.
SITUATION = [
    "je prends du roaccutane, est-ce que je peux faire un laser ?",
    "je suis sous anticoagulants, puis-je faire une injection ?",
    "I'm taking isotretinoin, can I get microneedling?",
    "can I do botox with my blood thinners?",
    "is it safe with my antidepressant?",
    "puis-je prendre de l'aspirine avec mon traitement ?",
]


GENERAL = [
    "le laser est-il douloureux ?",
    "combien de séances de microneedling faut-il ?",
    "qu'est-ce que le rétinol ?",
    "quelles sont les contre-indications de la toxine botulique ?",
    "what is an exosome?",
    "peut-on faire un laser sur une peau bronzée ?",
]


@pytest.mark.parametrize("message", PERSONAL)
def test_asks_personal_advice(message):
    assert asks_personal_advice(message)


@pytest.mark.parametrize("message", SITUATION)
def test_a_patients_situation_is_not_refused_as_advice(message):
    assert tells_personal_situation(message)
    assert not asks_personal_advice(message)


@pytest.mark.parametrize("message", GENERAL)
def test_general_questions_are_not_personal_advice(message):
    assert not asks_personal_advice(message)
    assert not tells_personal_situation(message)
