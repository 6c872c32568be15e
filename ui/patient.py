"""The patient chat served at ``/``: French by default, answers in the patient's language."""

from __future__ import annotations

import uuid

import gradio as gr

from bot.messages import LOCALES, SMS_NUMBER, examples, numbers, ui_text
from core.settings import Settings
from service.clinic import ClinicService
from ui.render import answer_html, esc, phone_href, user_message

# The chat page is French; answers follow the patient's language.
PAGE_LANGUAGE = "fr"
EXAMPLES = examples(PAGE_LANGUAGE)

CSS = """
.faq-emergency{border:3px solid #b00020;background:#fff0f0;color:#5c0011;padding:.6rem .9rem;border-radius:.5rem}
.faq-emergency a{color:#8a0019;font-weight:700}
.faq-caution{border-left:4px solid #b00020;background:#fff6e5;color:#4a2a00;padding:.4rem .7rem;margin:0 0 .5rem}
.faq-caution a{color:#8a0019;font-weight:700}
.faq-alert-title::before{content:"!" / "";display:inline-flex;align-items:center;justify-content:center;
  width:1.35em;height:1.35em;margin-right:.45em;border-radius:50%;background:#b00020;color:#fff;font-weight:700}
.faq-no-answer{border-left:4px solid #0b5cad;padding-left:.7rem}
.faq-sources{margin:.2rem 0 0 1.2rem;padding:0}.faq-sources li{margin:.25rem 0}
.faq-sources li>a{display:inline-block;vertical-align:top;min-height:24px;padding:2px 0}
.faq-answer summary{min-height:24px;padding:3px 0;cursor:pointer}
.faq-answer blockquote{margin:.3rem 0 .3rem .2rem;padding-left:.6rem;border-left:3px solid #8c959f;color:#24292f}
#faq-chat .faq-answer a,#faq-chat .faq-no-answer a{color:#0b5cad;text-decoration:underline}
.faq-actions a{display:inline-block;min-height:24px;padding:2px 0}
#faq-footer a{display:inline-block;min-width:24px;min-height:24px;padding:1px 3px;text-align:center}
#faq-footer{font-size:.95rem;color:#1f2328;background:#f6f8fa;border-top:1px solid #d0d7de;padding:.5rem .8rem;border-radius:.4rem}
#faq-footer a,#faq-urgent a{color:#8a0019;font-weight:700}
#faq-urgent{margin:0;padding:.35rem .7rem;border:2px solid #b00020;border-radius:.4rem;background:#fff0f0;color:#5c0011}
#faq-urgent a{display:inline-block;min-width:24px;min-height:24px;padding:1px 3px;text-align:center}
#faq-title h2{margin:.2rem 0}
.faq-examples button{white-space:normal;text-align:left;min-height:32px}
#faq-chat .message-wrap>.message-buttons:nth-child(2){display:none}
#faq-chat .message-wrap>:has(.faq-emergency)+.message-buttons{display:none}
button.faq-rating{width:28px;height:28px}
button.faq-rating[aria-pressed="true"]{outline:2px solid #b93d0a;outline-offset:1px}
#faq-chat .message-wrap .prose.chatbot.md{opacity:1}
#faq-chat label[data-testid="block-label"]{position:static;border:0;box-shadow:none;background:none;margin:0 0 .3rem}
#faq-chat{height:min(520px,62vh)!important}
#faq-chat .scroll-down-button-container{display:none}
@media (max-width:600px){#faq-title h2{font-size:1.15rem}#faq-footer{font-size:.9rem}}
"""
# The rule on ``.message-buttons:nth-child(2)`` hides the rating buttons of the welcome message (the
# chat's first message, whose buttons are the second child of the message list): there is no answer
# to rate there; the next one hides them under emergency replies, which are never rated (nor kept). The chat's label is laid out above the messages instead of floating over the newest
# one (and without the floating "scroll down" arrow), and the chat is never taller than about two
# thirds of the screen, so that on a phone the question box stays close. Targets are at least 24×24 px;
# what both pages need (focus ring, Gradio's icon buttons) is ui/a11y.py's CSS.


def welcome_html(settings: Settings) -> str:
    return LOCALES[PAGE_LANGUAGE]["ui"]["welcome_html"].format(clinic=esc(settings.clinic_name))


def clinic_phone_link(settings: Settings) -> str:
    return f'<a href="{esc(phone_href(settings.clinic_phone))}">{esc(settings.clinic_phone)}</a>'


def _number_links(settings: Settings) -> dict[str, str]:
    """Each emergency number as a link that calls (or texts) it, and the clinic's phone."""
    links = {
        name: f'<a href="{"sms" if name == SMS_NUMBER else "tel"}:{esc(number)}">{esc(number)}</a>'
        for name, number in numbers(PAGE_LANGUAGE).items()
    }
    return links | {"phone": clinic_phone_link(settings)}


def urgent_html(settings: Settings) -> str:
    """The emergency numbers at the top of the page: on a phone they are on the first screen."""
    body = LOCALES[PAGE_LANGUAGE]["ui"]["urgent_html"].format(**_number_links(settings))
    return f'<p id="faq-urgent" role="note">{body}</p>'


def footer_html(settings: Settings) -> str:
    """The emergency numbers, each a link that calls (or texts) it, and the clinic's phone."""
    body = LOCALES[PAGE_LANGUAGE]["ui"]["footer_html"].format(**_number_links(settings))
    return f'<div id="faq-footer" role="contentinfo">{body}</div>'


def build_patient_ui(service: ClinicService, settings: Settings) -> gr.Blocks:
    """The chat, example questions, feedback buttons and the emergency footer."""
    with gr.Blocks(title=ui_text("title", PAGE_LANGUAGE, settings), analytics_enabled=False) as demo:
        gr.Markdown(ui_text("heading", PAGE_LANGUAGE, settings), elem_id="faq-title")
        gr.HTML(urgent_html(settings))
        chatbot = gr.Chatbot(
            value=[{"role": "assistant", "content": welcome_html(settings)}],
            label=ui_text("chat_label", PAGE_LANGUAGE, settings),
            height=520,
            autoscroll=False,  # ui/a11y.py shows each new reply from its first line instead
            sanitize_html=True,
            render_markdown=True,
            feedback_options=("Like", "Dislike"),  # names and pressed state: ui/a11y.py
            elem_id="faq-chat",
            buttons=[],
        )
        # What each assistant message answered, by position, for the feedback buttons.
        asked = gr.State({})
        with gr.Row():
            box = gr.Textbox(
                label=ui_text("question_label", PAGE_LANGUAGE, settings),
                placeholder=ui_text("question_placeholder", PAGE_LANGUAGE, settings),
                max_length=settings.max_question_chars,
                lines=1,
                max_lines=4,
                scale=5,
                elem_id="faq-question",
                autofocus=True,
            )
            send = gr.Button(ui_text("send", PAGE_LANGUAGE, settings), variant="primary", scale=1, elem_id="faq-send")
        with gr.Row(elem_classes="faq-examples"):
            example_buttons = [gr.Button(text, size="sm", variant="secondary") for text in EXAMPLES]
        # After a rating, the patient may say why (optional); the comment goes with that rating.
        rated = gr.State("")
        with gr.Row(visible=False, elem_id="faq-comment-row") as comment_row:
            comment = gr.Textbox(
                label="Un commentaire sur cette réponse ? (facultatif, sans nom ni coordonnées)",
                max_length=500, lines=1, max_lines=3, scale=5, elem_id="faq-comment",
            )
            send_comment = gr.Button("Envoyer le commentaire", scale=1, elem_id="faq-send-comment")
        comment_done = gr.Markdown(elem_id="faq-comment-done")
        gr.HTML(footer_html(settings))

        def respond(message: str, history: list, state: dict, request: gr.Request):
            if not message or not message.strip():
                return gr.update(), history, state
            client = request.client.host if request is not None and request.client else ""
            answer_id = uuid.uuid4().hex
            answer = service.ask(message, client, answer_id=answer_id)
            history = list(history) + [
                {"role": "user", "content": user_message(message)},
                {"role": "assistant", "content": answer_html(answer, settings)},
            ]
            state = dict(state)
            state[len(history) - 1] = {
                "id": answer_id,
                "question": message,
                "status": answer.status,
                "sources": [c.source for c in answer.citations],
                "reply": answer.answer,
            }
            return "", history, state

        def rate(state: dict, data: gr.LikeData, request: gr.Request):
            index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
            info = state.get(index) or state.get(str(index))
            # The chat sends True (like), False (dislike) or "" when the patient clicks the same button again.
            if not info or data.liked not in (True, False, "", None) or info["status"] == "emergency":
                return gr.update(visible=False), "", ""
            liked = data.liked if isinstance(data.liked, bool) else None
            client = request.client.host if request is not None and request.client else ""
            done = service.feedback(info["question"], info["status"], info["sources"], liked, info.get("id"), client,
                                    reply=info.get("reply", ""))
            if done in ("kept", "replaced"):
                return gr.update(visible=True), info.get("id", ""), ""
            return gr.update(visible=False), "", ""

        def add_comment(answer_id: str, text: str, request: gr.Request):
            if not answer_id or not (text or "").strip():
                return gr.update(), gr.update(), ""
            client = request.client.host if request is not None and request.client else ""
            service.comment(answer_id, text, client)
            return gr.update(value=""), gr.update(visible=False), "Merci pour votre commentaire."

        outputs = [box, chatbot, asked]
        box.submit(respond, [box, chatbot, asked], outputs, api_name="ask_chat", concurrency_limit=8)
        send.click(respond, [box, chatbot, asked], outputs, api_name=False, concurrency_limit=8)
        for button in example_buttons:
            button.click(respond, [button, chatbot, asked], outputs, api_name=False, concurrency_limit=8)
        chatbot.like(rate, [asked], [comment_row, rated, comment_done], api_name=False)
        send_comment.click(add_comment, [rated, comment], [comment, comment_row, comment_done], api_name=False)
        comment.submit(add_comment, [rated, comment], [comment, comment_row, comment_done], api_name=False)

        def api_ask(question: str, request: gr.Request) -> dict:
            client = request.client.host if request is not None and request.client else ""
            return service.ask(question or "", client).to_dict()

        # A JSON endpoint for programs (and the tests) that talk to the app as a client.
        gr.api(api_ask, api_name="ask", queue=False)
    return demo
