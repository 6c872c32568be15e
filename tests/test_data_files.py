"""The word lists and the locale files: loaded, checked, and refused with a clear error when broken."""

from __future__ import annotations

import json
import string

import pytest

from bot import messages
from bot.lexicon import EN_FR, FR_SYNONYMS, GLOSSARY_FILE, SYNONYMS_FILE
from bot.topics import TOPICS_FILE, load_topic_phrases
from core.datafiles import DataFileError, load_list_file, read_json, word_list, word_map
from core.textnorm import DATA_DIR as CORE_DATA
from core.textnorm import EN_STOP, FR_STOP, SMS

LIST_FILES = [GLOSSARY_FILE, SYNONYMS_FILE, TOPICS_FILE, CORE_DATA / "sms.json", CORE_DATA / "stop_words.json"]


@pytest.mark.parametrize("path", LIST_FILES, ids=lambda p: p.name)
def test_every_list_file_says_what_justifies_it(path):
    data = load_list_file(path)
    assert len(data["justified_by"]) > 20
    assert data["about"].strip()


def test_lists_loaded_without_self_mappings():
    for mapping in (EN_FR, FR_SYNONYMS, SMS):
        assert mapping
        assert all(key != value for key, value in mapping.items())
    assert EN_FR["hair"] == "cheveux capillaire"
    assert FR_SYNONYMS["secu"] == "assurance maladie"
    assert SMS["pk"] == "pourquoi"
    assert {"le", "de", "pourquoi"} <= FR_STOP and {"the", "why"} <= EN_STOP


def _write(tmp_path, data) -> object:
    path = tmp_path / "list.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


HEADER = {"about": "test list", "justified_by": "a measurement"}


def test_missing_justification_is_refused(tmp_path):
    path = _write(tmp_path, {"about": "x", "entries": {}})
    with pytest.raises(DataFileError, match="justified_by"):
        load_list_file(path)


def test_duplicate_key_is_refused_with_its_name(tmp_path):
    path = tmp_path / "list.json"
    path.write_text('{"about": "x", "justified_by": "y", "entries": {"hair": "cheveux", "hair": "poils"}}')
    with pytest.raises(DataFileError, match="'hair' appears twice"):
        read_json(path)


def test_word_mapped_to_itself_is_refused(tmp_path):
    path = _write(tmp_path, {**HEADER, "entries": {"acne": "acne"}})
    with pytest.raises(DataFileError, match="mapped to itself"):
        word_map(load_list_file(path), "entries", path)


def test_key_no_question_can_contain_is_refused(tmp_path):
    path = _write(tmp_path, {**HEADER, "entries": {"vitamin-a": "retinol"}})
    with pytest.raises(DataFileError, match="not one folded word"):
        word_map(load_list_file(path), "entries", path)


def test_repeated_list_entry_is_refused(tmp_path):
    path = _write(tmp_path, {**HEADER, "fr": ["le", "la", "le"]})
    with pytest.raises(DataFileError, match="'le' appears twice"):
        word_list(load_list_file(path), "fr", path)


def test_malformed_json_names_the_line(tmp_path):
    path = tmp_path / "list.json"
    path.write_text('{"about": "x",\n "justified_by": }')
    with pytest.raises(DataFileError, match="line 2"):
        load_list_file(path)


def test_topic_word_inside_a_longer_phrase_is_refused(tmp_path):
    path = _write(tmp_path, {**HEADER, "phrases": {"en": ["face lift", "lift"]}})
    with pytest.raises(DataFileError, match="part of a longer phrase"):
        load_topic_phrases(path)


def test_topic_repeated_across_languages_is_refused(tmp_path):
    path = _write(tmp_path, {**HEADER, "phrases": {"fr": ["hifu"], "en": ["hifu"]}})
    with pytest.raises(DataFileError, match="appears twice"):
        load_topic_phrases(path)


# --- locales ---------------------------------------------------------------------------------


def _keys(value, prefix=""):
    if isinstance(value, dict):
        return {k for key, v in value.items() for k in _keys(v, f"{prefix}{key}.")} | {prefix.rstrip(".")}
    return {prefix.rstrip(".")}


def test_both_locales_have_the_same_keys():
    fr, en = (messages.load_locale(language) for language in ("fr", "en"))
    fr.pop("language"), en.pop("language")
    assert _keys(fr) == _keys(en)
    assert len(fr["examples"]) == len(en["examples"])


def test_both_locales_give_the_same_emergency_numbers():
    assert messages.numbers("fr") == messages.numbers("en") == {"samu": "15", "emergency": "112", "sms": "114", "suicide": "3114"}


def test_texts_use_the_same_placeholders_in_both_languages():
    def fields(template):
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    for section in ("texts", "emergency_lines", "ui"):
        fr, en = messages.LOCALES["fr"][section], messages.LOCALES["en"][section]
        for key in fr:
            assert fields(fr[key]) == fields(en[key]), f"{section}.{key}"


def _copy_locales(tmp_path):
    for language in messages.LANGUAGES:
        (tmp_path / f"{language}.json").write_text(
            (messages.LOCALES_DIR / f"{language}.json").read_text(encoding="utf-8"), encoding="utf-8"
        )


def test_locale_missing_a_key_in_one_language_is_refused(tmp_path):
    _copy_locales(tmp_path)
    en = json.loads((tmp_path / "en.json").read_text(encoding="utf-8"))
    del en["texts"]["caution"]
    (tmp_path / "en.json").write_text(json.dumps(en), encoding="utf-8")
    with pytest.raises(DataFileError, match="caution"):
        messages.load_locales(tmp_path)


def test_locale_with_an_unknown_placeholder_is_refused(tmp_path):
    _copy_locales(tmp_path)
    fr = json.loads((tmp_path / "fr.json").read_text(encoding="utf-8"))
    fr["texts"]["caution"] = "Appelez le {samu} ou {docteur}."
    (tmp_path / "fr.json").write_text(json.dumps(fr), encoding="utf-8")
    with pytest.raises(DataFileError, match="docteur"):
        messages.load_locale("fr", tmp_path)


def test_numbers_are_filled_into_the_texts(fake_settings):
    text = messages.text("emergency", "fr", fake_settings)
    assert "appelez le 15 (SAMU) ou le 112" in text and "SMS au 114" in text and "3114" in text
    assert "{" not in messages.emergency_text("suicidal", "en", fake_settings)
