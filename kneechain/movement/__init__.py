"""Movement understanding: who is the subject, what they do, from which view, and when (pure functions on
landmark tracks; no video I/O)."""
