"""Signs the message denies, and complications it says are over, do not raise the alarm."""

from __future__ import annotations

import numpy as np
import pytest

from bot.safety import denied_sign, emergency_rule, normalise_for_rules
from bot.triage import CAUTION, EMERGENCY, SemanticParams, TriageChecker, not_happening_now, says_now


@pytest.mark.parametrize("text", [
    "encore un peu gonflé et dur 3 semaines après la lipo, pas de fièvre",
    "some swelling on my tummy two weeks after lipo, wearing my garment, no fever",
])
def test_a_joined_sign_the_message_denies_does_not_fire(text):
    """"Swelling … no fever": the pattern joins two signs; the second is denied."""
    assert emergency_rule(text) is None
    assert denied_sign(normalise_for_rules(text)) == "infection_signs"


@pytest.mark.parametrize("text", [
    "39 de fièvre et la joue est rouge et gonflée",
    "pas de fièvre mais la joue est rouge et il y a du pus qui s'étend",  # a denied sign hides no later one
    "je saigne sans arrêt depuis une heure",  # "sans arrêt" is not a negation
    "tout le monde serait mieux sans moi",  # a pattern that holds a negation word itself
])
def test_signs_that_are_not_denied_still_fire(text):
    assert emergency_rule(text) is not None
    assert denied_sign(normalise_for_rules(text)) is None


@pytest.mark.parametrize("text, kind", [
    ("j'ai fait une tentative de suicide il y a cinq ans, je suis suivie et je vais bien maintenant", "past"),
    ("mon amie a eu du mal à parler après son botox, elle va bien maintenant", "someone_else"),
    ("my friend's lip turned black after filler, she's okay now, how do you prevent that?", "someone_else"),
    ("I had trouble swallowing after botox, all gone now, should we lower the dose?", "past"),
])
def test_the_now_of_a_recovery_does_not_place_the_complication_in_the_present(text, kind):
    assert not_happening_now(text) == kind
    assert not says_now(text)


def test_a_recovery_does_not_hide_a_sign_said_to_be_happening_now():
    text = "I was fine after the filler yesterday but now my lip is turning white"
    assert not_happening_now(text) is None
    assert says_now(text)
    assert not_happening_now("ma copine allait bien hier soir, maintenant sa lèvre devient grise") is None


def _always_emergency() -> SemanticParams:
    """A semantic net that says emergency for every message: only the message's words can lower it."""
    return SemanticParams(
        emergency_weights=(0.0, 0.0), emergency_bias=20.0, emergency_threshold=0.5,
        serious_weights=(0.0, 0.0), serious_bias=20.0, serious_threshold=0.5,
    )


def _under_semantic_alarm(text: str):
    """Triage ``text`` with a semantic net that alarms on every message: what the words alone change."""
    return TriageChecker(_always_emergency()).check(text, np.array([1.0, 0.0], dtype=np.float32))


def test_a_semantic_alarm_on_a_message_that_denies_the_sign_becomes_a_caution():
    assert _under_semantic_alarm("le front lourd une semaine après le botox").level == EMERGENCY
    denied = _under_semantic_alarm("le front lourd une semaine après le botox, pas de fièvre")
    assert (denied.level, denied.net) == (CAUTION, "semantic+reassured")
    over = _under_semantic_alarm("her lip went dark after filler last year, she's fine now")
    assert over.level == CAUTION


def test_a_sign_word_is_not_read_inside_a_longer_word():
    """"cou" (neck) is not in "coudes" (elbows): an itchy rash on the elbows is not hives on the neck."""
    assert emergency_rule("des plaques rouges qui grattent sur les coudes depuis une semaine") is None
    assert emergency_rule("des plaques rouges qui gonflent sur le cou") == "hives_or_fast_swelling"


@pytest.mark.parametrize("text", [
    "brûlure après le laser, la peau est noirâtre et je ne sens plus rien à cet endroit",
    "après le filler du nez je ne vois plus rien de l'oeil gauche",
])
def test_a_french_negation_around_the_verb_still_places_the_sign_now(text):
    """'Je ne sens plus' is 'je sens' negated: the now markers name the verb without the 'ne'."""
    assert says_now(text)


def test_an_idiom_disarms_only_the_danger_words_it_holds():
    """"Morte de rire" is not a death, and the semantic net's pull towards one gives the box, not the
    alarm; a sign told beside an idiom ("morte de peur, la lèvre devient toute blanche") still fires."""
    laugh = _under_semantic_alarm("je suis morte de rire, ma copine ne m'a pas reconnue après mes lèvres")
    assert (laugh.level, laugh.net) == (CAUTION, "semantic+idiom")
    fright = _under_semantic_alarm("je suis morte de peur, ma lèvre devient toute blanche et j'ai très mal depuis l'injection")
    assert (fright.level, fright.rule) == (EMERGENCY, "skin_colour_change")
    rules_only = TriageChecker(None).check("je suis morte de peur, ma lèvre devient toute blanche depuis l'injection", None)
    assert rules_only.level == EMERGENCY


@pytest.mark.parametrize("text", [
    "les lèvres un peu gonflées ce matin, je respire très bien et j'avale normalement",
    "front lourd depuis le botox mais les paupières bougent normalement et je parle bien",
    "forehead a bit heavy after botox, breathing is fine and my eyelids open normally",
    "a little tight after the peel, I can swallow fine, full strength in my arms",
])
def test_a_function_said_to_work_normally_is_reassurance(text):
    """The patient names the frightening sign only to say the function is intact: the semantic net
    alone gives the box, not the alarm."""
    triage = _under_semantic_alarm(text)
    assert (triage.level, triage.net) == (CAUTION, "semantic+reassured")


@pytest.mark.parametrize("text", [
    "la dernière fois j'ai fait un malaise après l'injection, maintenant je suis ok, on peut me mettre allongée ?",
    "I had hives after a peel in 2021, now I'm fine, is it safe to try another one?",
])
def test_a_recovery_told_with_now_first_is_a_recovery(text):
    assert not_happening_now(text) == "past"
    assert not says_now(text)


@pytest.mark.parametrize("text", [
    "si un jour j'ai du mal à respirer après une injection, j'appelle qui ?",
    "si j'ai mal dans la poitrine pendant la séance, vous arrêtez ?",
    "if I ever feel my throat closing after the filler, what do I do?",
])
def test_a_sign_told_inside_a_condition_is_hypothetical(text):
    assert not_happening_now(text) == "hypothetical"
    assert not says_now(text)


@pytest.mark.parametrize("text", [
    "je ne sais pas si c'est normal, j'ai mal dans la poitrine depuis ce matin",
    "not sure if I should worry but I feel my throat closing right now",
])
def test_an_indirect_question_is_not_a_condition(text):
    assert not_happening_now(text) is None
    assert says_now(text)


def test_a_danger_word_told_as_a_reaction_to_a_sight_is_a_figure_of_speech():
    """"J'ai failli faire un AVC en voyant la facture": the shock of a sight, not a stroke; a sign told
    beside it still fires."""
    checker = TriageChecker(None)
    for joke in ("j'ai failli faire un AVC en voyant la facture, vous faites des facilités ?",
                 "I nearly passed out when I saw the price list haha"):
        assert emergency_rule(joke) is not None  # the words alone fire...
        assert checker.check(joke, None).level != EMERGENCY  # ...not once the idiom is read
    sign = checker.check("j'ai failli m'évanouir en voyant ça : ma lèvre devient toute blanche depuis l'injection", None)
    assert (sign.level, sign.rule) == (EMERGENCY, "skin_colour_change")


@pytest.mark.parametrize("text", [
    "a bit of puffiness under my eyes in the morning after the filler, it's gone by lunch",
    "les paupières un peu gonflées au réveil depuis les cernes, ça dégonfle dans la journée",
])
def test_a_sign_that_goes_away_within_the_day_is_reassurance(text):
    assert _under_semantic_alarm(text).net == "semantic+reassured"


def test_a_recovered_story_a_rule_reads_as_someone_elses_is_not_raised_again_by_the_semantic_net():
    """A rule names the sign but reads the story as a colleague's; the patient says she has recovered:
    the semantic net does not turn it back into an alarm. Without the recovery, the semantic net still
    has the last word over the rule's reading (an emergency told for a relative)."""
    told = "ma collègue a eu du botox et pendant un mois elle avait du mal à avaler"
    assert emergency_rule(told) is not None and not_happening_now(told) == "someone_else"
    assert _under_semantic_alarm(told).level == EMERGENCY
    recovered = _under_semantic_alarm(told + ", elle est guérie maintenant mais ça m'inquiète")
    assert (recovered.level, recovered.net) == (CAUTION, "semantic+reassured")


@pytest.mark.parametrize("text", [
    "mon AVC date de 2020, j'ai récupéré depuis, les fillers sont possibles pour moi ?",
    "j'ai eu une nécrose de la lèvre en 2019 ailleurs, c'est guéri maintenant, je peux refaire les lèvres ?",
    "I had a stroke back in 2018 and I've fully recovered, can I still have botox?",
])
def test_a_year_or_a_recovery_places_the_complication_in_the_past(text):
    assert not_happening_now(text) == "past"
    assert not says_now(text)


@pytest.mark.parametrize("text, category", [
    ("can fillers make you blind? how rare is it?", "vision"),
    ("qu'est-ce qui se passe si l'aiguille touche une artère pendant l'injection ?", "vascular_occlusion"),
])
def test_a_general_question_naming_the_complication_gets_the_box(text, category):
    from bot.triage import named_complication

    assert named_complication(text) == category


@pytest.mark.parametrize("text", [
    "le résultat est à tomber dans les pommes, merci à toute l'équipe",
    "j'ai eu une attaque en voyant mes photos de vacances, il me faut un coup de frais",
    "my heart stopped when I saw the before/after, booking again!",
])
def test_more_reactions_and_praise_are_figures_of_speech(text):
    assert not_happening_now(text) == "figure_of_speech"


def test_about_to_faint_is_not_praise():
    assert not_happening_now("je vais tomber dans les pommes, je me sens partir depuis l'injection") is None


@pytest.mark.parametrize("text", [
    "skin is pink and warm after the laser yesterday, like a mild sunburn, getting better already",
    "un petit point a saigné sur l'oreiller cette nuit, it's stopped, rien de plus",
    "les lèvres ont doublé de volume hier, aujourd'hui ça a un peu baissé, aucun souci pour respirer",
    "one side of my smile looks a bit uneven after filler, I can move everything normally",
    "la rougeur après le peeling va de mieux en mieux",
])
def test_a_sign_said_to_improve_or_to_have_stopped_is_reassurance(text):
    assert _under_semantic_alarm(text).net == "semantic+reassured"


def test_a_third_persons_vital_state_told_now_keeps_someone_elses_story_in_the_present():
    """"Ma copine m'a envoyé un message d'adieu…, elle ne répond plus": the danger is now, for her."""
    text = "ma copine m'a envoyé un message d'adieu ce soir, elle répond plus, elle disait qu'elle voulait mourir"
    assert not_happening_now(text) is None
    assert TriageChecker(None).check(text, None).level == EMERGENCY
    assert not_happening_now("ma copine a eu une allergie après son botox l'an dernier, elle va mieux maintenant") is not None


@pytest.mark.parametrize("text", [
    "je suis aveugle ou y a pas de bouton pour réserver en ligne ?",
    "your results took my breath away, booking again next month",
    "j'ai eu le souffle coupé par le résultat, merci docteur",
])
def test_praise_and_a_missing_button_are_figures_of_speech(text):
    assert not_happening_now(text) == "figure_of_speech"
    assert TriageChecker(None).check(text, None).level != EMERGENCY


@pytest.mark.parametrize("text", [
    "my eyes feel a bit dry and tired after the tear trough, vision's fine, just puffy",
    "felt lightheaded in the chair but it passed after some juice, home now and tired",
])
def test_a_contracted_function_or_a_passing_sign_is_reassurance(text):
    assert _under_semantic_alarm(text).net == "semantic+reassured"
