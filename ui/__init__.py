"""The Gradio front ends (patient chat, staff view) and their HTML rendering."""
