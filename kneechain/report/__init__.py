"""Rendering saved results (JSON summaries now; the HTML report later). Never recomputes a result."""
