"""What makes both Gradio pages accessible (WCAG 2.2 AA): colours, French labels, a small DOM patch.

- ``theme()``: Gradio's default theme with contrasts of at least 4.5:1 for text (the orange
  "Envoyer" button, placeholders, links, the selected tab) and 3:1 for control boundaries and the
  focus ring.
- ``CSS``: a visible focus ring, 24 px icon buttons, readable JSON colours (both pages).
- ``i18n()``: Gradio's own labels (rating buttons, "Clear", status messages) in French, also for a
  browser set to English: the page is French whatever the browser's language.
- ``PAGE_JS``: runs once per page and keeps, through a MutationObserver, what Gradio re-renders:
  the page's language, the rating buttons' French names and pressed state (``aria-pressed``; Gradio
  writes the English "Liked"/"Disliked" whatever the language), the chat log's name, French names
  for the controls Gradio names only in English, tables that scroll reachable from the keyboard; it
  drops the per-message ``aria-label`` that would make a screen reader spell out the reply's HTML
  source, and shows each new reply from its first line.
"""

from __future__ import annotations

import json

import gradio as gr

# Colours (contrast measured against white / the chat's #fafafa bubbles).
ACCENT = "#b93d0a"  # white on it 5.6:1; on white 5.6:1 (selected tab, accents)
ACCENT_HOVER = "#8f2f08"  # white on it 8.3:1
LINK = "#0b5cad"  # on white 6.4:1, on #fafafa 6.1:1
LINK_VISITED = "#6a3d9a"  # on white 7.9:1
BORDER = "#6e7781"  # control boundaries: 4.6:1 on white
FOCUS = "#0b5cad"  # focus ring: 6.4:1 on white
PLACEHOLDER = "#5c636b"  # 6.1:1 on white
SUBDUED = "#4f565e"  # labels and hints: 7.6:1 on white


def theme() -> gr.themes.Base:
    """Gradio's default theme with accessible contrasts (light and dark)."""
    return gr.themes.Default().set(
        color_accent=ACCENT,
        color_accent_soft="#fde7dc",
        border_color_accent=ACCENT,
        button_primary_background_fill=ACCENT,
        button_primary_background_fill_dark=ACCENT,
        button_primary_background_fill_hover=ACCENT_HOVER,
        button_primary_background_fill_hover_dark=ACCENT_HOVER,
        button_primary_border_color=ACCENT,
        button_primary_border_color_dark=ACCENT,
        button_primary_text_color="#ffffff",
        button_primary_text_color_dark="#ffffff",
        button_secondary_border_color=BORDER,
        button_secondary_text_color="#1f2328",
        input_border_color=BORDER,
        input_border_color_focus=FOCUS,
        input_border_width="1px",
        input_shadow_focus=f"0 0 0 2px {FOCUS}",
        input_shadow_focus_dark="0 0 0 2px #8cc4ff",
        input_border_color_focus_dark="#8cc4ff",
        input_placeholder_color=PLACEHOLDER,
        input_placeholder_color_dark="#b5bcc5",
        checkbox_border_color=BORDER,
        link_text_color=LINK,
        link_text_color_hover="#084a8c",
        link_text_color_active="#084a8c",
        link_text_color_visited=LINK_VISITED,
        link_text_color_dark="#8cc4ff",
        link_text_color_hover_dark="#b3d7ff",
        link_text_color_active_dark="#b3d7ff",
        link_text_color_visited_dark="#d2b3ff",
        body_text_color_subdued=SUBDUED,
        block_label_text_color=SUBDUED,
        block_info_text_color=SUBDUED,
        block_title_text_color="#1f2328",
        loader_color=ACCENT,
        slider_color=ACCENT,
    )


# For both pages, after the theme: a visible focus ring (6.4:1), Gradio's icon buttons (18 px)
# and the JSON viewer's expand arrows brought to 24 px targets, the JSON viewer's pastel syntax
# colours (2.6:1) replaced by darker ones (6:1 and more), and the red of "stop" buttons (white on
# #ef4444, 3.8:1) darkened to #b91c1c (6.5:1).
CSS = f"""
a:focus-visible,button:focus-visible,summary:focus-visible,textarea:focus-visible,input:focus-visible,
[role="tab"]:focus-visible{{outline:3px solid {FOCUS}!important;outline-offset:2px}}
.icon-button,button[data-pseudo-content]{{min-width:24px;min-height:24px;justify-content:center;align-items:center}}
.gradio-container .json-node{{--text-color:#8a3a1c;--string-color:#a31515;--number-color:#116329;
  --bracket-color:#3d5656;--square-bracket-color:#a1263a;--punctuation-color:#3d5656;--line-number-color:#57606a}}
button.stop{{background:#b91c1c!important;border-color:#b91c1c!important;color:#fff!important}}
button.stop:hover{{background:#991b1b!important}}
"""

# Flat dotted keys take precedence over Gradio's own (nested) dictionaries for the same locale.
FRENCH_LABELS = {
    "chatbot.like": "Réponse utile",
    "chatbot.dislike": "Réponse pas utile",
    "chatbot.clear": "Effacer la conversation",
    "chatbot.copy_message": "Copier le message",
    "chatbot.copied_message": "Message copié",
    "chatbot.retry": "Réessayer",
    "chatbot.undo": "Annuler",
    "chatbot.edit": "Modifier",
    "chatbot.submit": "Envoyer",
    "chatbot.cancel": "Annuler",
    "common.clear": "Effacer",
    "common.complete": "Réponse reçue",
    "common.error": "Erreur",
    "common.loading": "Chargement…",
    "common.progress": "Progression",
    "common.download": "Télécharger",
    "common.copy_to_clipboard": "Copier",
    "status.queue_position": "Position dans la file",
    "upload_text.click_to_upload": "Cliquer pour choisir un fichier",
    "upload_text.drop_file": "Déposer le fichier ici",
    "login.login": "Connexion",
    "login.username": "Identifiant",
    "login.password": "Mot de passe",
}
# Names that Gradio writes in English whatever the language (no translation key behind them).
ENGLISH_NAMES = {
    "Copy table data": "Copier le tableau",
    "Copied to clipboard": "Copié",
    "Fullscreen": "Plein écran",
    "Exit fullscreen": "Quitter le plein écran",
    "Copy": "Copier",
    "Copied": "Copié",
    "Collapse": "Replier",
    "Expand": "Déplier",
    "Click to upload or drop files": "Choisir un fichier",
    "Clear": "Effacer",
    "Remove": "Retirer",
    "Download": "Télécharger",
    "Empty value": "Vide",
    "More tabs": "Autres onglets",
    "Open cell menu": "Menu de la cellule",
    "Table actions": "Actions du tableau",
    "File upload": "Envoi de fichier",
    "Liked": FRENCH_LABELS["chatbot.like"],
    "Disliked": FRENCH_LABELS["chatbot.dislike"],
    "Like": FRENCH_LABELS["chatbot.like"],
    "Dislike": FRENCH_LABELS["chatbot.dislike"],
}


def i18n() -> gr.I18n:
    """Gradio's interface labels in French for French and English browsers alike."""
    return gr.I18n(fr=dict(FRENCH_LABELS), en=dict(FRENCH_LABELS))


LOG_LABEL = "Conversation avec l'assistant"

# Gradio's ``js`` option: a function run once when the page has loaded.
PAGE_JS = """
() => {
  const LIKE = __LIKE__, DISLIKE = __DISLIKE__, LOG = __LOG__, NAMES = __NAMES__;
  const setAttr = (el, name, value) => { if (el.getAttribute(name) !== value) el.setAttribute(name, value); };
  // A new reply is shown from its first line (the chat scrolls to the bottom by itself): a long
  // emergency reply starts with its headline.
  let replies = 0;
  const showStart = (message) => {
    const log = message.closest('[role="log"]');
    if (!log) return;
    const top = message.getBoundingClientRect().top - log.getBoundingClientRect().top + log.scrollTop;
    log.scrollTop = Math.max(0, top - 8);
  };
  const fix = () => {
    setAttr(document.documentElement, 'lang', 'fr');
    document.querySelectorAll('[role="log"]').forEach((el) => setAttr(el, 'aria-label', LOG));
    const bots = document.querySelectorAll('#faq-chat [data-testid="bot"]');
    if (bots.length > replies && replies > 0) {
      const newest = bots[bots.length - 1];
      setTimeout(() => showStart(newest), 150);
    }
    replies = bots.length;
    // Each message carries its raw HTML as aria-label: the content itself is what should be read.
    document.querySelectorAll('[data-testid="bot"][aria-label], [data-testid="user"][aria-label]')
      .forEach((el) => el.removeAttribute('aria-label'));
    // Gradio's empty JSON and file boxes: a named div needs a role.
    document.querySelectorAll('div.empty[aria-label]:not([role])').forEach((el) => {
      el.setAttribute('role', 'img');
    });
    // A table that scrolls must be reachable from the keyboard to be scrolled: its first header cell
    // takes the grid's entry point (tabindex 0), as in the ARIA grid pattern.
    document.querySelectorAll('.virtual-table-viewport').forEach((el) => {
      if (el.querySelector('[tabindex="0"], a[href], button:not([tabindex="-1"]), input, textarea')) return;
      const cell = el.querySelector('th, td');
      if (cell) cell.setAttribute('tabindex', '0');
    });
    // Names Gradio only has in English.
    document.querySelectorAll('[aria-label], [title], [aria-roledescription]').forEach((el) => {
      ['aria-label', 'title', 'aria-roledescription'].forEach((attr) => {
        const value = el.getAttribute(attr);
        if (!value) return;
        const french = NAMES[value] || (value.startsWith('Line number ') ? 'Ligne ' + value.slice(12) : null);
        if (french) el.setAttribute(attr, french);
      });
    });
    // Rating buttons: Gradio renders "dislike" then "like"; the chosen one is drawn in the accent colour.
    document.querySelectorAll('.message-buttons').forEach((group) => {
      const buttons = group.querySelectorAll('button.icon-button');
      if (buttons.length !== 2) return;
      [[buttons[0], DISLIKE], [buttons[1], LIKE]].forEach(([button, label]) => {
        const pressed = (button.getAttribute('style') || '').includes('--color-accent)');
        setAttr(button, 'aria-label', label);
        setAttr(button, 'title', label);
        setAttr(button, 'aria-pressed', pressed ? 'true' : 'false');
        button.classList.add('faq-rating');
      });
    });
  };
  fix();
  new MutationObserver(fix).observe(document.documentElement, {
    subtree: true, childList: true, attributes: true, attributeFilter: ['style', 'aria-label', 'title', 'aria-roledescription', 'lang'],
  });
}
"""
PAGE_JS = (
    PAGE_JS.replace("__LIKE__", json.dumps(FRENCH_LABELS["chatbot.like"]))
    .replace("__DISLIKE__", json.dumps(FRENCH_LABELS["chatbot.dislike"]))
    .replace("__LOG__", json.dumps(LOG_LABEL))
    .replace("__NAMES__", json.dumps(ENGLISH_NAMES, ensure_ascii=False))
)
