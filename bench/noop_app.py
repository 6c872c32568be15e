"""A Gradio endpoint that does nothing, served like app.py: the floor of a gradio_client round trip.

``bench/bench_app.py`` starts it to show how much of a round trip is the client and the protocol
rather than the bot. Usage: ``.venv/bin/python -m bench.noop_app PORT``.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    import gradio as gr
    import uvicorn
    from fastapi import FastAPI

    port = int((argv if argv is not None else sys.argv[1:])[0])
    with gr.Blocks(analytics_enabled=False) as demo:

        def echo(question: str) -> dict:
            return {"status": "answered", "answer": question, "citations": []}

        gr.api(echo, api_name="ask", queue=False)
    app = gr.mount_gradio_app(FastAPI(), demo, path="")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
