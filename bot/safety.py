"""Deterministic rules checked before any retrieval.

Emergencies must never depend on a model's mood, so they are caught by
readable rules in French and English, on accent-folded text where typos of the
key words are corrected first ("respier" → "respirer"). The rules name signs
that need urgent care after an aesthetic procedure and suicidal thoughts; they
do not triage. Requests for a personal diagnosis or treatment advice are
recognised the same way and sent to a consultation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.strings import bounded_edit_distance
from core.textnorm import fold, split_words, squeeze_repeats

# Key words whose misspellings are corrected before the rules run.
KEY_WORDS = ["respirer", "respire", "respiration", "respirais", "etouffe", "etouffer", "etouffement", "suffoque", "poitrine", "thoracique", "fievre", "temperature", "frissons", "pus", "purulent", "abces", "infecte", "infection", "gonfle", "gonflee", "gonflement", "gorge", "langue", "vision", "floue", "trouble", "aveugle", "voir", "blanche", "blanchit", "blanchie", "marbree", "marbrure", "violacee", "violette", "grisatre", "livide", "douleur", "douloureux", "insupportable", "intense", "atroce", "horrible", "suicide", "suicidaire", "mourir", "vivre", "tuer", "breathe", "breathing", "breath", "swallow", "chest", "fever", "pus", "spreading", "swelling", "swollen", "throat", "tongue", "blurry", "blurred", "blind", "vision", "mottled", "white", "purple", "grey", "gray", "pain", "severe", "unbearable", "excruciating", "suicide", "suicidal", "kill", "die", "conscience", "evanoui", "evanouie", "fainted", "unconscious", "avaler"]
# Real words one typo away from a key word, which must stay what they are.
PROTECTED = set(["injection", "injections", "injecte", "injectee", "injecter", "violente", "violent", "violents", "double", "doubles", "infecter", "reinjection", "trouver", "souffle", "breathes"])
_KEY_BY_PREFIX: dict[str, list[str]] = {}
for _w in KEY_WORDS:
    _KEY_BY_PREFIX.setdefault(_w[:2], []).append(_w)


def normalise_for_rules(text: str) -> str:
    """Folded, punctuation-free text where near-misses of key words are corrected."""
    # "can't" → "cant", "don't" → "dont"; French elisions ("j'ai") become two words.
    folded = re.sub(r"n't\b", "nt", fold(text))
    out = []
    for token in split_words(folded):
        token = squeeze_repeats(token)
        if len(token) >= 5 and token not in KEY_WORDS and token not in PROTECTED:
            limit = 1 if len(token) < 8 else 2
            for key in _KEY_BY_PREFIX.get(token[:2], []):
                if bounded_edit_distance(token, key, limit) <= limit:
                    token = key
                    break
        out.append(token)
    return " " + " ".join(out) + " "


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


PROCEDURE = _any(
    r" (injection|injecte|piqure|filler|acide hyaluronique|hyaluronique|botox|toxine|seance|soin|laser|"
    r"microneedling|peeling|mesotherapie|traitement|intervention|procedure|lemon bottle|lipolyse) ",
    r" (injection|injected|filler|fillers|botox|treatment|procedure|session|laser|peel|microneedling) ",
)
# Skin turning white or mottled is the sign of a blocked vessel after an injection;
# after a peel or a laser, whitening alone can be expected, so pain must come with it.
INJECTED = _any(
    r" (injection|injections|injecte|injectee|piqure|filler|fillers|acide hyaluronique|hyaluronique|botox|toxine|"
    r"lemon bottle|lipolyse|mesotherapie|comblement|injected|lips done|skinbooster)",
)
SEVERE_PAIN = _any(
    r" (douleur|douleurs|mal) (intense|intenses|insupportable|atroce|horrible|enorme|tres forte|forte|terrible)",
    r" (tres|trop|horriblement|atrocement|super) mal ", r" insupportable ", r" atroce ",
    r" (severe|intense|unbearable|excruciating|terrible|extreme|really bad|awful) pain",
    r" hurts? (so much|a lot|terribly|badly|like hell)", r" unbearable ", r" excruciating ",
)


@dataclass(frozen=True)
class Rule:
    """One emergency rule: a name (shown to staff) and a test on normalised text."""

    name: str
    pattern: re.Pattern[str]
    needs: tuple[re.Pattern[str], ...] = ()

    def fires(self, text: str) -> bool:
        return bool(self.pattern.search(text)) and all(n.search(text) for n in self.needs)

    def matched(self, text: str) -> list[str]:
        """The words of normalised ``text`` that made the rule fire (its pattern's, then each need's)."""
        found = []
        for m in (p.search(text) for p in (self.pattern, *self.needs)):
            if m:  # a pattern may stop inside a word (" suicid"): the whole word is shown
                end = text.find(" ", m.end() - 1) if not text[m.end() - 1].isspace() else m.end()
                found.append(text[m.start() : end if end >= 0 else len(text)].strip())
        return list(dict.fromkeys(w for w in found if w))


EMERGENCY_RULES: tuple[Rule, ...] = (
    Rule("suicidal_thoughts", _any(
        r" suicid", r" me (tuer|suicider|foutre en l air) ", r" mettre fin a (mes jours|ma vie)",
        r" en finir ", r" (plus|pas) envie de vivre", r" envie de mourir", r" veux mourir", r" me faire du mal",
        r" kill myself", r" end (my life|it all)", r" ending (it all|my life)", r" want to die", r" wanna die", r" (dont|do not) want to live",
        r" self harm", r" hurt myself", r" better off dead", r" no reason to live",
        r" (mieux|mieux) sans moi", r" better off without me", r" (vaut|vaux) (plus|pas) la peine (de vivre|de continuer)",
        r" (plus|pas) la force de (vivre|continuer)", r" disparaitre pour toujours", r" (dont|do not) want to be here anymore",
        r" no point (in )?(living|going on)", r" (plus|pas) de raison de vivre",
    )),
    Rule("breathing_or_throat", _any(
        r" (du mal|difficulte|difficultes|peine|n ?arrive (pas|plus)|impossible) a respirer",
        r" (je )?(ne )?(peux|peut|arrive) (plus|pas) (a )?respirer", r" respir[a-z]* (mal|difficilement|plus|pas bien)",
        r" etouffe", r" suffoque", r" gorge (qui )?(gonfle|gonflee|serree|se serre|enfle)",
        r" (gonflement|oedeme) (de la )?(gorge|langue)", r" langue (qui )?(gonfle|gonflee|enfle)",
        r" (du mal|difficulte|peine) a avaler", r" (cant|can not|cannot|hard to|trouble|difficulty|struggling to) breath",
        r" short(ness)? of breath", r" breathing (problem|difficult|trouble)", r" choking",
        r" throat (is |feels )?(swell|swollen|closing|tight)", r" (swollen|swelling) (throat|tongue)",
        r" tongue (is )?(swell|swollen)", r" (trouble|difficulty|hard to) swallow",
        r" wheez", r" sifflement", r" respiration sifflante",
        r" (face|lips|mouth|eyes) (is |are )?(puffing up|swelling up|blowing up) (really |very )?(fast|quickly)",
        r" (visage|bouche|levres|yeux) (qui )?(gonfle|gonflent|enfle|enflent) (tres )?(vite|d un coup|brutalement|a vue d oeil)",
        r" gonflement (brutal|soudain|rapide) (du visage|de la bouche|des levres)",
    )),
    Rule("vision_problem", _any(
        r" (je )?(ne )?vois (plus|flou|trouble|double|mal|noir)", r" vision (floue|trouble|double|brouillee)",
        r" (vue|vision) (qui )?(se )?(trouble|brouille|baisse|floue)", r" (perte|perdu|baisse) (de )?(la )?(vue|vision)",
        r" trouble(s)? (de la |visuel)(vue|vision|s)?", r" aveugle", r" voile devant (l|les) (oeil|yeux)",
        r" (blurry|blurred|double|lost|losing|loss of|partial) (vision|sight)", r" (cant|can not|cannot) see",
        r" vision (is )?(blurry|blurred|gone|loss)", r" went blind", r" blind in",
    )),
    Rule("skin_colour_change", _any(
        r" (peau|zone|levre|levres|nez|joue|front) (qui )?(devient|est devenue|devenue|reste|est)? ?(toute |tout |tres |un peu )?(blanche|blanchie|grise|grisatre|violette|violacee|marbree|livide)",
        r" blanchit(?! (elle|il) )", r" marbree", r" marbrure", r" violacee", r" livide", r" noircit", r" necrose", r" necrosis",
        r" (devient|devenu|devenue|est) (tout |toute )?(noir|noire)", r" (turning|turned|gone|going) black",
        r" (skin|cheek|lip|lips|nose|area|chin|forehead|face) (has |is |turned |turning |went |going |gone |become |becoming )*(white|pale|grey|gray|greyish|grayish|blotchy|purple|mottled|dusky|blue|bluish)",
        r" (est |a |sont )?(devenu|devenue|devenues|devenus) (toute |tout )?(blanche|blanc|blanches|grise|grises|violette|violettes|violacee|bleue|bleutee)",
        r" (white|mottled|purple|dusky|blanched) (patch|area|skin|spot)", r" mottled", r" blanched",
    ), needs=(_any(INJECTED.pattern, SEVERE_PAIN.pattern),)),
    Rule("infection_signs", _any(
        r" (fievre|temperature|frissons|fever|chills)[a-z0-9 ]{0,60} (rougeur|rouge|pus|gonfl|chaud|infect|abces|redness|red|swell|hot|spreading|oozing)",
        r" (rougeur|rouge|pus|gonfl|chaud|infect|abces|redness|red|swell|hot|spreading|oozing)[a-z0-9 ]{0,60} (fievre|temperature|frissons|fever|chills)",
        r" pus [a-z ]{0,40}(s etend|setend|etend|partout|gonfl|spreading|fievre|fever)",
        r" [34][0-9]( [0-9])? (de fievre|de temperature|degres)", r" (fever|fievre|temperature) of [34][0-9]",
        r" (rougeur|redness|red) [a-z ]{0,30}(s etend|setend|etend|spreading|spreads)[a-z ]{0,40} (pus|fievre|fever|chaud|hot)",
    )),
    Rule("chest_pain", _any(
        r" (douleur|douleurs|mal|oppression|serrement) (dans|a|au niveau de) (la )?poitrine", r" douleur thoracique",
        r" oppression thoracique", r" chest (pain|hurts|tight|pressure)", r" pain in (my|the) chest",
    )),
    Rule("severe_pain_after_procedure", SEVERE_PAIN, needs=(PROCEDURE,)),
    Rule("loss_of_consciousness", _any(
        r" (perte|perdu) (de )?connaissance", r" evanoui", r" evanouir", r" malaise grave", r" faint(ed|ing)? ",
        r" passed out", r" unconscious", r" tomb(er|e|ee|ant) dans les pommes", r" (tout tourne|la tete qui tourne)[a-z ]{0,60}(malaise|tomber|pommes|pas bien)",
        r" (pas bien|malaise)[a-z ]{0,60}(tout tourne|la tete qui tourne)", r" (about to|going to|gonna) (faint|pass out)",
        r" (ne )?repond (plus|pas) (bien|du tout)?",
    )),
)

PERSONAL_ADVICE = _any(
    # diagnosis of one's own body
    r" (est ce|c est|serait ce|ca pourrait etre|je pense que c est|ai je|j ai) (un |une |le |la |du )?(cancer|melanome|tumeur|carcinome)",
    r" grain de beaute [a-z ]{0,40}(change|grossit|saigne|bouge|noircit|grandit|evolue)",
    r" (qu est ce que|qu est ce qu) j ai", r" (c est quoi|qu est ce que c est) (ce|cette|mon|ma) (bouton|tache|plaque|bosse|boule)",
    r" (diagnostiquer|diagnostic de) (mon|ma|mes)", r" (dois je|je dois|faut il que je) (arreter|stopper|prendre|changer) (mon|ma|mes) ",
    r" (is it|is this|could it be|could this be|do i have) [a-z ]{0,40}(cancer|melanoma|tumou?r)",
    r" (est ce|c est|serait ce|ca serait) [a-z ]{0,40}(cancer|melanome|tumeur|carcinome)",
    r" mole [a-z ]{0,40}(chang|grow|bleed|dark)", r" what do i have", r" diagnose (me|my)",
    # one's own medication
    r" (mon|ma|mes) (traitement|medicament|medicaments|medoc|medocs|pilule|anticoagulant|anticoagulants|antidepresseur|antibiotique|antibiotiques)",
    r" (avec|sous) (du |de l |un |une |des )?(roaccutane|isotretinoine|anticoagulant|kardegic|aspirine|previscan|xarelto|eliquis|antidepresseur|antibiotique|ibuprofene)",
    r" je (prends|suis sous|prend) (du |de l |un |une |des |le |la )?[a-z]+ [a-z ]{0,40}(est ce que|puis je|je peux|compatible|possible|risque|arrete|arreter|stopper|combien de jours)",
    r" (my|with) (medication|medications|meds|medicine|pills|blood thinner|blood thinners|antidepressant|antibiotics)",
    r" (i am|i m|im) (taking|on) [a-z]+ [a-z ]{0,40}(can i|is it safe|ok to|okay to)",
    r" (quelle|what) (dose|dosage)", r" how (much|many) [a-z ]{0,20}should i take",
    r" (augmenter|diminuer|doubler|baisser) (la|ma) dose", r" (increase|double|lower) (the|my) dose",
    r" what (is it|could it be)[a-z ]{0,40}(put|take|use|apply)", r" (m a|ma|m ont) prescrit",
    r" combien de (mg|milligrammes|comprimes|gelules|gouttes|cachets)", r" (je dois|dois je|je devrais|devrais je|faut il) (prendre|mettre|appliquer) (quoi|quel|quelle|lequel|laquelle)",
    r" (qu est ce que|que) (je dois|dois je) (prendre|mettre|appliquer)", r" (which|what) ([a-z]+ )?(cream|medicine|medication|pill|drug|ointment) should i (use|take|apply)",
    r" (qu est ce qu|qu) (il|elle) a ", r" what (does|do) (he|she|they|my [a-z]+) have",
    r" c est (de l |du |un |une |des )(herpes|eczema|psoriasis|mycose|allergie|zona|infection|acne|rosacee|cancer|melanome|verrue|gale)[a-z ]{0,20} ou (pas|non|quoi)",
    r" (is it|is this|could it be) (an? )?(herpes|eczema|psoriasis|fungal|allergy|allergic|shingles|infection|infected|melanoma|cancer)",
)

INJECTION = _any(
    r" ignore[a-z]* (all |your |previous |prior |the |tes |vos |les |toutes )*(instructions|consignes|rules|regles)",
    r" (system|systeme) prompt", r" prompt systeme", r" (developer|admin|debug|dan) mode", r" jailbreak",
    r" (oublie|oubliez|forget) (tes|vos|your|all|toutes) (instructions|consignes|regles|rules)",
    r" (reveal|print|show|affiche|montre|donne) (me )?(your|ton|votre|tes|vos) (instructions|prompt|consignes|configuration)",
    r" (you are|tu es|vous etes) (now|maintenant|desormais) ",
    r" (joue|jouez|incarne|incarnez) le role", r" (fais|faites) comme si tu etais",
    r" (pretend|act as if) (you re|you are|to be)", r" act as (a|an|my) ", r" role ?play",
    r" (repete|repetez|recopie|recopiez|repeat|print|copy) [a-z ]{0,30}(au dessus|ci dessus|above|verbatim|mot pour mot)",
    r" (prescris|prescrivez|prescribe|write) (moi |me )?(un |une |a )?(traitement|ordonnance|medicament|prescription)",
    r" (what|which) (model|llm|ai) are you", r" (quel|quelle) (modele|ia) (es tu|etes vous)",
)
# Requests for a task the assistant does not do, whatever the topic: writing, translating, computing.
OFF_TOPIC_TASK = _any(
    r" (ecris|ecrivez|redige|redigez|compose|invente|inventez) (moi |nous )?(un|une|des) (poeme|histoire|chanson|blague|lettre|texte|dissertation|rap)",
    r" (raconte|racontez) (moi |nous )?(un|une|des) (histoire|blague|conte)",
    r" (write|compose|make up|tell) (me |us )?(a|an|some) (poem|story|song|joke|essay|letter|limerick)",
    r" (traduis|traduisez|translate) ", r" (combien font|calcule|calculez|how much is \d|what is \d+) ",
)
SMALL_TALK = _any(
    r"^ (bonjour|bonsoir|salut|coucou|hello|hi|hey|merci|thanks|thank you|ok|okay|d accord|au revoir|bye|test)( [a-z]+)? $",
    r"^ (qui es tu|tu es qui|who are you|are you (a )?(bot|human|robot)|es tu (un )?(robot|humain)|ca va|comment (ca va|vas tu)|how are you) $",
)


def emergency_rule(text: str) -> str | None:
    """Name of the first emergency rule that fires, or None."""
    norm = normalise_for_rules(text)
    for rule in EMERGENCY_RULES:
        if rule.fires(norm):
            return rule.name
    return None


def emergency_words(text: str, rule_name: str) -> list[str]:
    """The words that made the rule ``rule_name`` fire on ``text``, as the patient wrote them when
    they can be found again (else folded, as the rules read them)."""
    norm = normalise_for_rules(text)
    for rule in EMERGENCY_RULES:
        if rule.name == rule_name:
            return [_as_written(text, phrase) for phrase in rule.matched(norm)]
    return []


def _as_written(text: str, phrase: str) -> str:
    """``levre est devenue toute blanche`` found back as ``lèvre est devenue toute blanche`` in ``text``."""
    spans = [(m.start(), m.end(), fold(m.group(0))) for m in re.finditer(r"\w+", text)]
    wanted = phrase.split()
    for i in range(len(spans) - len(wanted) + 1):
        if [w for _, _, w in spans[i : i + len(wanted)]] == wanted:
            return text[spans[i][0] : spans[i + len(wanted) - 1][1]]
    return phrase


def asks_personal_advice(text: str) -> bool:
    return bool(PERSONAL_ADVICE.search(normalise_for_rules(text)))


def is_prompt_injection(text: str) -> bool:
    return bool(INJECTION.search(normalise_for_rules(text)))


def is_off_topic_task(text: str) -> bool:
    return bool(OFF_TOPIC_TASK.search(normalise_for_rules(text)))


def is_small_talk(text: str) -> bool:
    return bool(SMALL_TALK.search(normalise_for_rules(text)))
