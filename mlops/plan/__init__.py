"""Reading plans: what a change creates, updates, replaces or deletes."""
