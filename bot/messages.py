"""Fixed texts shown to patients, in French and English.

Quotes from the articles stay in their own language; everything around them
(introductions, refusals, the emergency message) follows the patient's
language. Languages other than French and English get the English texts.
"""

from __future__ import annotations

from core.settings import Settings

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "intro": "Voici ce que disent nos articles :",
        "intro_native": "Voici ce que disent nos articles :",
        "sources": "Sources",
        "not_in_articles": (
            "Nos articles ne répondent pas à cette question, et je préfère ne rien inventer. "
            "Le plus simple est d'en parler avec l'équipe médicale : vous pouvez prendre rendez-vous "
            "pour une consultation ({booking_url}) ou contacter la clinique au {phone}."
        ),
        "personal_medical_advice": (
            "Je ne peux pas répondre à une question sur votre situation personnelle (diagnostic, "
            "traitement en cours, médicaments) : seul un médecin qui vous examine peut le faire. "
            "Parlez-en lors d'une consultation ({booking_url}) ou appelez la clinique au {phone}. "
            "En cas d'urgence, appelez le 15 ou le 112."
        ),
        "out_of_scope": (
            "Je réponds uniquement aux questions sur les soins de {clinic}, à partir de ses articles. "
            "Pour toute autre demande, vous pouvez contacter la clinique ({contact_url})."
        ),
        "small_talk": (
            "Bonjour ! Je suis l'assistant automatique de {clinic}. Je réponds aux questions sur nos soins "
            "en citant nos articles, par exemple : « Combien de séances de microneedling faut-il ? ». "
            "Je ne remplace pas une consultation médicale."
        ),
        "empty": "Je n'ai pas reçu de question. Écrivez-moi votre question sur nos soins, en une ou deux phrases.",
        "too_long": (
            "Votre message est trop long ({length} caractères, {limit} au maximum). "
            "Pouvez-vous poser votre question en quelques phrases ?"
        ),
        "unreadable": "Je n'ai pas compris votre message. Pouvez-vous reformuler votre question avec des mots ?",
        "rate_limited": (
            "Vous avez posé beaucoup de questions en peu de temps. Merci de patienter une minute avant la suivante."
        ),
        "error": (
            "Un problème de notre côté m'empêche de répondre. Réessayez dans un instant, "
            "ou appelez la clinique au {phone}."
        ),
        "emergency": (
            "⚠️ Ce que vous décrivez peut nécessiter des soins urgents. N'attendez pas une réponse en ligne.\n"
            "- Urgence vitale : appelez le 15 (SAMU) ou le 112.\n"
            "- Si vous ne pouvez pas parler ou entendre : envoyez un SMS au 114.\n"
            "- Pensées suicidaires : appelez le 3114 (gratuit, 24 h/24, 7 j/7).\n"
            "- Inquiétude après un soin chez {clinic} : appelez la clinique au {phone}."
        ),
        "caution": (
            "Si cela vous arrive maintenant : appelez le 15 ou le 112, ou la clinique au {phone}."
        ),
    },
    "en": {
        "intro": "Here is what our articles say (they are written in French):",
        "intro_native": "Here is what our articles say:",
        "sources": "Sources",
        "not_in_articles": (
            "Our articles do not answer this question, and I would rather not guess. "
            "The best is to ask our medical team: you can book a consultation ({booking_url}) "
            "or call the clinic on {phone}."
        ),
        "personal_medical_advice": (
            "I cannot answer questions about your own situation (diagnosis, current treatment, "
            "medication): only a doctor who examines you can. Please raise it during a consultation "
            "({booking_url}) or call the clinic on {phone}. In an emergency, call 15 or 112."
        ),
        "out_of_scope": (
            "I only answer questions about the treatments of {clinic}, from its articles. "
            "For anything else, please contact the clinic ({contact_url})."
        ),
        "small_talk": (
            "Hello! I am the automated assistant of {clinic}. I answer questions about our treatments "
            "by quoting our articles, for example: \"How many microneedling sessions are needed?\". "
            "I do not replace a medical consultation."
        ),
        "empty": "I did not receive a question. Please write your question about our treatments in a sentence or two.",
        "too_long": (
            "Your message is too long ({length} characters, {limit} at most). "
            "Could you ask your question in a few sentences?"
        ),
        "unreadable": "I could not understand your message. Could you rephrase your question in words?",
        "rate_limited": "You have asked many questions in a short time. Please wait a minute before the next one.",
        "error": "Something went wrong on our side. Please try again in a moment, or call the clinic on {phone}.",
        "emergency": (
            "⚠️ What you describe may need urgent care. Do not wait for an online answer.\n"
            "- Life-threatening emergency: call 15 (SAMU) or 112.\n"
            "- If you cannot speak or hear: text 114.\n"
            "- Suicidal thoughts: call 3114 (free, 24/7).\n"
            "- Worried after a treatment at {clinic}: call the clinic on {phone}."
        ),
        "caution": "If this is happening to you now: call 15 or 112, or the clinic on {phone}.",
    },
}


# A line added to the emergency message for the categories where what to do differs.
EMERGENCY_LINES: dict[str, dict[str, str]] = {
    "fr": {
        "suicidal": "Vous n'êtes pas seul·e : appelez maintenant le 3114 (gratuit, 24 h/24), ou le 15 si vous êtes en danger.",
        "self_harm": "Vous n'êtes pas seul·e : appelez maintenant le 3114 (gratuit, 24 h/24), ou le 15 si vous êtes blessé·e.",
        "overdose_poisoning": "Produit ou médicaments avalés : appelez le 15 ou un centre antipoison, sans attendre les symptômes.",
        "vascular_occlusion": "Peau blanche, grise ou violacée après une injection : c'est une urgence, appelez la clinique ou le 15 tout de suite.",
        "vision": "Trouble de la vue après une injection : urgence absolue, appelez le 15 immédiatement.",
        "stroke": "Visage qui tombe d'un côté, bras faible, parole difficile : appelez le 15 immédiatement.",
        "chest_pain": "Douleur dans la poitrine : appelez le 15, ne prenez pas le volant.",
        "anaphylaxis": "Gonflement rapide, urticaire, malaise : appelez le 15 ou le 112 immédiatement.",
        "breathing": "Difficulté à respirer : appelez le 15 ou le 112 immédiatement.",
        "toxin_spread": "Faiblesse, difficulté à avaler, parler ou respirer après une toxine : appelez le 15.",
    },
    "en": {
        "suicidal": "You are not alone: call 3114 now (free, 24/7), or 15 if you are in danger.",
        "self_harm": "You are not alone: call 3114 now (free, 24/7), or 15 if you are hurt.",
        "overdose_poisoning": "Swallowed a product or too many pills: call 15 or a poison centre now, before any symptom.",
        "vascular_occlusion": "Skin turning white, grey or purple after an injection: this is urgent, call the clinic or 15 right away.",
        "vision": "Vision trouble after an injection: call 15 immediately.",
        "stroke": "Face drooping on one side, weak arm, trouble speaking: call 15 immediately.",
        "chest_pain": "Chest pain: call 15, do not drive yourself.",
        "anaphylaxis": "Fast swelling, hives, feeling faint: call 15 or 112 immediately.",
        "breathing": "Trouble breathing: call 15 or 112 immediately.",
        "toxin_spread": "Weakness, trouble swallowing, speaking or breathing after toxin: call 15.",
    },
}
# Categories whose own line comes first: the patient must read it before anything else.
LEADING_LINE = {"suicidal", "self_harm"}


def emergency_text(category: str | None, language: str, settings: Settings) -> str:
    """The emergency message, with the line for the category where it matters."""
    base = text("emergency", language, settings)
    line = EMERGENCY_LINES[frame_language(language)].get(category or "")
    if not line:
        return base
    headline, _, rest = base.partition("\n")
    if category in LEADING_LINE:
        return f"⚠️ {line}\n{rest}"
    return f"{headline}\n- {line}\n{rest}"


def frame_language(language: str) -> str:
    return "fr" if language == "fr" else "en"


def text(key: str, language: str, settings: Settings, **values: object) -> str:
    """The fixed text ``key`` in the patient's language, with clinic details filled in."""
    template = TEXTS[frame_language(language)][key]
    return template.format(
        clinic=settings.clinic_name,
        phone=settings.clinic_phone,
        booking_url=settings.booking_url,
        contact_url=settings.contact_url,
        **values,
    )
