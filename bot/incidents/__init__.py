"""On-call incident mode: many reports of one failing registry become one tracked incident.

``tracker.IncidentTracker`` makes every decision and keeps its state in the store; ``model``
holds what it returns; ``publisher`` is how it reaches Slack; ``hosts`` says which reports are
about the same registry. (Nothing is imported here, so ``bot.render`` may use ``model``.)
"""
