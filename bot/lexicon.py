"""English → French glossary of the clinic's domain, for the keyword side.

The default embedding model is English-trained and the articles are French, so
an English question ("hair loss injections") shares few words with the French
article ("chute de cheveux, mésothérapie"). Expanding the English words of a
question with their French counterparts lets keyword search find the article.
The glossary holds vocabulary only (no answers); it is used for every article.
"""

from __future__ import annotations

EN_FR: dict[str, str] = {
    "hair": "cheveux capillaire", "scalp": "cuir chevelu", "loss": "chute perte", "thinning": "chute perte",
    "bald": "calvitie alopecie", "baldness": "calvitie alopecie", "alopecia": "alopecie",
    "redness": "rougeurs", "red": "rouge rougeurs", "flushing": "rougeurs", "rosacea": "rosacee",
    "broken": "couperose", "capillaries": "couperose vaisseaux", "vessels": "vaisseaux", "veins": "vaisseaux",
    "skin": "peau", "barrier": "barriere", "texture": "texture grain", "pores": "pores", "pore": "pores",
    "scar": "cicatrices", "scars": "cicatrices", "acne": "acne", "wrinkles": "rides", "wrinkle": "rides",
    "lines": "rides ridules", "spots": "taches", "spot": "taches", "pigmentation": "pigmentation taches",
    "brown": "brunes", "dark": "brunes", "sun": "soleil", "sunscreen": "protection solaire ecran",
    "spf": "protection solaire", "price": "tarif prix", "prices": "tarifs prix", "cost": "tarif prix cout",
    "costs": "tarif prix", "expensive": "tarif prix", "appointment": "rendez-vous", "appointments": "rendez-vous",
    "book": "reserver rendez-vous", "booking": "reservation rendez-vous", "schedule": "rendez-vous",
    "cancel": "annuler annulation", "cancellation": "annulation", "reschedule": "reporter rendez-vous",
    "consultation": "consultation", "first": "premiere", "visit": "consultation rendez-vous",
    "pain": "douleur douloureux mal", "painful": "douloureux douleur", "hurt": "mal douloureux", "hurts": "mal douleur",
    "session": "seance", "sessions": "seances", "results": "resultats", "result": "resultat",
    "last": "durer duree", "lasts": "dure duree", "long": "duree", "pregnant": "enceinte grossesse",
    "pregnancy": "grossesse enceinte", "breastfeeding": "allaitement", "side": "effets secondaires",
    "effects": "effets suites", "bruise": "bleu ecchymose hematome", "bruising": "bleus ecchymoses",
    "swelling": "gonflement oedeme", "swollen": "gonfle oedeme", "filler": "acide hyaluronique injection",
    "fillers": "acide hyaluronique injections", "hyaluronic": "hyaluronique", "botox": "toxine botulique",
    "botulinum": "toxine botulique", "fat": "graisse", "belly": "ventre", "stomach": "ventre",
    "tummy": "ventre", "chin": "menton", "double": "double", "dissolving": "dissoudre lipolyse",
    "dissolve": "dissoudre lipolyse", "injection": "injection", "injections": "injections",
    "needle": "aiguilles", "needles": "aiguilles", "needling": "microneedling", "why": "pourquoi",
    "offer": "proposer proposez", "dna": "adn", "repair": "reparation reparer", "vitamin": "vitamines",
    "vitamins": "vitamines", "antioxidant": "antioxydant", "peel": "peeling", "peeling": "peeling desquamation",
    "dull": "terne", "radiance": "eclat", "glow": "eclat", "dry": "seche", "dehydrated": "deshydratee",
    "tight": "tiraillement", "tightness": "tiraillements", "sensitive": "sensible", "stinging": "picotements",
    "moisturiser": "hydratant creme", "moisturizer": "hydratant creme", "cleanser": "nettoyant",
    "makeup": "maquillage", "sport": "sport", "exercise": "sport", "gym": "sport", "sauna": "sauna",
    "tan": "bronzage", "tanning": "bronzage", "summer": "ete", "winter": "hiver", "minor": "mineur",
    "teenager": "mineur adolescent", "late": "retard", "payment": "paiement", "pay": "paiement",
    "deposit": "acompte", "allowed": "autorise", "legal": "autorise reglementation", "banned": "interdit",
    "forbidden": "interdit", "illegal": "interdit", "studies": "etudes", "study": "etude",
    "research": "etudes recherche", "evidence": "preuves etudes", "safe": "securite risques",
    "risks": "risques", "risk": "risques", "dangerous": "risques danger", "contraindications": "contre-indications",
    "downtime": "suites eviction", "recovery": "suites recuperation", "aftercare": "apres soins suites",
    "after": "apres", "before": "avant", "numbing": "creme anesthesiante", "cream": "creme",
    "lips": "levres", "lip": "levres", "forehead": "front", "eyes": "yeux", "aging": "vieillissement",
    "ageing": "vieillissement", "anti": "anti", "collagen": "collagene", "laser": "laser", "lasers": "lasers",
    "day": "jour jours", "days": "jours", "week": "semaine", "weeks": "semaines", "month": "mois",
    "months": "mois", "year": "an ans", "heal": "cicatrisation guerir", "heals": "cicatrisation",
    "deep": "profondes", "grow": "repousse pousse", "frozen": "fige", "smooth": "lisse lisser",
    "smoother": "lisse", "trigger": "declencheurs", "triggers": "declencheurs", "avoid": "eviter",
    "without": "sans", "approved": "autorise autorisation", "beach": "soleil plage", "holiday": "vacances",
    "holidays": "vacances", "doctor": "medecin", "age": "age", "old": "age", "young": "jeune",
    "many": "nombre combien", "much": "combien", "often": "frequence", "wait": "attendre delai",
    "mole": "grain beaute", "normal": "normal",
    "treatment": "soin traitement", "treatments": "soins traitements", "cure": "cure", "course": "cure",
    "microneedling": "microneedling", "exosomes": "exosomes", "exosome": "exosomes", "regulation": "reglementation",
    "france": "france", "online": "en ligne", "sold": "vendus", "products": "produits", "product": "produit",
    "face": "visage", "facial": "visage", "eye": "yeux", "bags": "poches", "cellulite": "cellulite",
    "weight": "poids", "diet": "regime", "stubborn": "resistant", "bulge": "bourrelet", "thighs": "cuisses",
    "arms": "bras", "retinol": "retinol", "vitamin-a": "retinol", "clinic": "clinique",
    "phone": "telephone", "call": "appeler telephone", "contact": "contacter", "quote": "devis",
    "estimate": "devis", "reflection": "reflexion", "think": "reflexion", "bring": "apporter",
    "medications": "medicaments", "photos": "photos", "parents": "parents", "consent": "consentement",
}


# Words patients use → the words the articles use. Vocabulary only, for every article.
FR_SYNONYMS: dict[str, str] = {
    "secu": "assurance maladie", "securite": "assurance maladie", "rembourse": "pris en charge",
    "remboursee": "pris en charge", "remboursement": "pris en charge", "rembourses": "pris en charge",
    "bleu": "ecchymose hematome", "bleus": "ecchymoses hematomes", "gonfle": "gonflement oedeme",
    "gonflee": "gonflement oedeme", "enfle": "gonflement", "boutons": "acne", "bouton": "acne",
    "tient": "durent duree", "tiennent": "durent duree", "dure": "duree", "prix": "tarifs",
    "cout": "tarifs", "coute": "tarifs", "combien": "combien", "douillet": "douleur douloureux",
    "douillette": "douleur douloureux", "piqure": "injection", "piqures": "injections",
    "bronzee": "bronzage bronzee", "bronze": "bronzage", "doree": "bronzage", "enceinte": "grossesse",
    "allaite": "allaitement", "gras": "graisse", "calvitie": "alopecie chute", "degarni": "chute cheveux",
    "tire": "tiraillement", "tiraille": "tiraillement", "picote": "picotements", "pique": "picotements",
    "mine": "teint", "lumineux": "eclat", "lumineuse": "eclat", "eclatante": "eclat", "fatiguee": "terne",
    "fatigue": "terne", "rajeunir": "vieillissement", "vieillir": "vieillissement", "pattes": "rides",
    "ridules": "rides", "plis": "rides", "pli": "rides", "taches": "pigmentation taches",
    "rougit": "rougeurs", "rouge": "rougeurs", "vaisseaux": "couperose", "pele": "desquamation",
    "pelent": "desquamation", "croutes": "croutes", "cicatrice": "cicatrices", "trous": "cicatrices pores",
    "annule": "annulation annuler", "decommander": "annuler annulation", "reporter": "deplacer",
    "retard": "retard", "payer": "paiement regler", "carte": "paiement", "cheque": "paiement",
    "mal": "douleur douloureux", "douleurs": "douleur douloureux", "souffre": "douleur",
    "ado": "mineur", "fille": "mineur", "fils": "mineur", "16": "mineur", "17": "mineur",
}
