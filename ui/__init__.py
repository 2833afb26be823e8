"""The Gradio web UI: a thin shell over rag.pipeline.Assistant."""
