"""The commands that change data, by group: events, sources, claims and their verdicts."""
