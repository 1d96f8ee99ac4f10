"""Simulation for evaluation: seeded synthetic assist worlds with rings (`assists`) and
rings planted into real organic background (`plant`). Pure numpy; no database."""
