"""A campaign's growth as its rows tell it, for the operators' dashboard: assists by
their status now, team members who joined, starters and the new participants they
brought — each counted up to a series of moments, in one statement per table."""
