"""The commands that change data, by group: events, sources and claims."""
