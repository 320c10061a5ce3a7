"""Policy as code for the MLOps platform.

`policy.rules` holds the rules (one module per service), `policy.engine` evaluates them over an
offline plan with waivers, and `policy.pack` (run by `__main__.py`) serves the same rules as a
Pulumi policy pack.
"""
