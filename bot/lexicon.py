"""English → French glossary of the clinic's domain, for the keyword side.

The default embedding model is English-trained and the articles are French, so
an English question ("hair loss injections") shares few words with the French
article ("chute de cheveux, mésothérapie"). Expanding the English words of a
question with their French counterparts lets keyword search find the article.
The glossary holds vocabulary only (no answers); it is used for every article.
Both lists live in ``bot/data/`` with the measurement that keeps them.
"""

from __future__ import annotations

from pathlib import Path

from core.datafiles import load_list_file, word_map

DATA_DIR = Path(__file__).with_name("data")
GLOSSARY_FILE = DATA_DIR / "glossary_en_fr.json"
SYNONYMS_FILE = DATA_DIR / "synonyms_fr.json"

EN_FR: dict[str, str] = word_map(load_list_file(GLOSSARY_FILE), "entries", GLOSSARY_FILE)
# Words patients use → the words the articles use. Vocabulary only, for every article.
FR_SYNONYMS: dict[str, str] = word_map(load_list_file(SYNONYMS_FILE), "entries", SYNONYMS_FILE)
