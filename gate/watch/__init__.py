"""`slo-gate watch`: measure every SLO on a schedule, tell a team once per incident (with its context
and a summary), and keep the incident state between runs. `command` assembles a round from the clients
the composition root built; `render` turns a round into text, JSON and notices; `loop` runs `--every`.
"""
