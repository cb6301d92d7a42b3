"""Users in the loop (Telegram-free): feedback on answers, the moderators' inbox of
questions the bot could not answer and of tips, its audited actions, and the figures.

Modules, one concern each: `grouping` (when two questions are the same one), `service`
(the users' side and reading the inbox), `actions` (moderators' audited inbox actions and
their undo), `rendering` (every string users and moderators see).
"""
