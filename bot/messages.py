"""Fixed texts shown to patients, in French and English.

Quotes from the articles stay in their own language; everything around them
(introductions, refusals, the emergency message, the chat's labels) follows the
patient's language. Languages other than French and English get the English
texts. The texts and the emergency numbers live in one file per language,
``bot/locales/<language>.json``, checked when it is loaded: every language has
the same keys, and a text uses only the placeholders it can be given.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

from core.datafiles import DataFileError, read_json
from core.settings import Settings

LOCALES_DIR = Path(__file__).with_name("locales")
LANGUAGES = ("fr", "en")
# The sections of a locale file; each maps a name to a text (``examples`` is a list of texts).
SECTIONS = ("numbers", "examples", "texts", "emergency_lines", "ui")
# Placeholders filled from the settings, the emergency numbers, and by the caller of one text.
SETTINGS_FIELDS = ("clinic", "phone", "booking_url", "contact_url")
CALLER_FIELDS = {
    "too_long": ("length", "limit"),
    "fact_not_in_articles": ("what",),
    "article_updated": ("date",),
    "article_published": ("link",),
}
# The number patients text rather than call (the others are called).
SMS_NUMBER = "sms"


def load_locale(language: str, directory: Path = LOCALES_DIR) -> dict[str, Any]:
    """The locale file of ``language``, checked.

    Raises:
        DataFileError: the file is missing or malformed, a section is missing or holds
            something other than texts, or a text uses a placeholder nothing fills in.
    """
    path = directory / f"{language}.json"
    data = read_json(path)
    if data.get("language") != language:
        raise DataFileError(f"{path}: field 'language' must be {language!r}")
    for section in SECTIONS:
        value = data.get(section)
        if section == "examples":
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                raise DataFileError(f"{path}: 'examples' must be a list of non-empty texts")
            continue
        if not isinstance(value, dict) or not all(isinstance(v, str) and v.strip() for v in value.values()):
            raise DataFileError(f"{path}: {section!r} must be an object of name -> non-empty text")
    numbers = tuple(data["numbers"])
    if SMS_NUMBER not in numbers:
        raise DataFileError(f"{path}: 'numbers' must name the {SMS_NUMBER!r} number")
    for section in ("texts", "emergency_lines", "ui"):
        for key, template in data[section].items():
            allowed = (*SETTINGS_FIELDS, *numbers, *CALLER_FIELDS.get(key, ()))
            try:
                used = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
            except ValueError as exc:
                raise DataFileError(f"{path}: {section}.{key}: {exc}") from None
            unknown = sorted(set(used) - set(allowed))
            if unknown:
                raise DataFileError(f"{path}: {section}.{key} uses unknown placeholder(s) {unknown}; "
                                    f"allowed here: {list(allowed)}")
    return data


def load_locales(directory: Path = LOCALES_DIR) -> dict[str, dict[str, Any]]:
    """Every language's locale, checked to have the same keys in every section.

    Raises:
        DataFileError: as :func:`load_locale`, or a key is missing from one language.
    """
    locales = {language: load_locale(language, directory) for language in LANGUAGES}
    reference = LANGUAGES[0]
    for language in LANGUAGES[1:]:
        for section in SECTIONS:
            if section == "examples":
                continue
            missing = set(locales[reference][section]) ^ set(locales[language][section])
            if missing:
                raise DataFileError(f"{directory}: {section} keys {sorted(missing)} are not in both "
                                    f"{reference}.json and {language}.json")
    return locales


LOCALES = load_locales()
TEXTS: dict[str, dict[str, str]] = {language: locale["texts"] for language, locale in LOCALES.items()}
# A line added to the emergency message for the categories where what to do differs.
EMERGENCY_LINES: dict[str, dict[str, str]] = {
    language: locale["emergency_lines"] for language, locale in LOCALES.items()
}


# Categories whose own line comes first: the patient must read it before anything else.
LEADING_LINE = {"suicidal", "self_harm"}


def emergency_text(category: str | None, language: str, settings: Settings) -> str:
    """The emergency message, with the line for the category where it matters."""
    base = text("emergency", language, settings)
    frame = frame_language(language)
    line = EMERGENCY_LINES[frame].get(category or "")
    if not line:
        return base
    line = line.format(**LOCALES[frame]["numbers"])
    headline, _, rest = base.partition("\n")
    if category in LEADING_LINE:
        return f"⚠️ {line}\n{rest}"
    return f"{headline}\n- {line}\n{rest}"


def frame_language(language: str) -> str:
    return "fr" if language == "fr" else "en"


def text(key: str, language: str, settings: Settings, **values: object) -> str:
    """The fixed text ``key`` in the patient's language, with clinic details and numbers filled in."""
    frame = frame_language(language)
    return fill(TEXTS[frame][key], frame, settings, **values)


def ui_text(key: str, language: str, settings: Settings, **values: object) -> str:
    """A label or piece of the chat page (``ui`` section of the locale), filled in like :func:`text`."""
    frame = frame_language(language)
    return fill(LOCALES[frame]["ui"][key], frame, settings, **values)


def numbers(language: str) -> dict[str, str]:
    """The emergency numbers by name (``samu``, ``emergency``, ``sms``, ``suicide``)."""
    return dict(LOCALES[frame_language(language)]["numbers"])


def examples(language: str) -> list[str]:
    """Example questions offered in the chat."""
    return list(LOCALES[frame_language(language)]["examples"])


def fill(template: str, language: str, settings: Settings, **values: object) -> str:
    """``template`` with the clinic's details, the emergency numbers of ``language`` and ``values``."""
    return template.format(
        clinic=settings.clinic_name,
        phone=settings.clinic_phone,
        booking_url=settings.booking_url,
        contact_url=settings.contact_url,
        **LOCALES[frame_language(language)]["numbers"],
        **values,
    )
