"""Simulation. Two kinds:

- for evaluating detectors: seeded synthetic assist worlds with rings (`assists`) and
  rings planted into real organic background (`plant`) — pure numpy, no database;
- the wargame (`huzhu simulate`): a scenario's community played through the real engine
  over HTTP on a simulated clock (`scenario` → `population` → `engine` → `figures` →
  `report`; `wargame.play` runs them in order). Same scenario and seed, same report.
"""
