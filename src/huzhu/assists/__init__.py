"""Assists: instances (a participant's bargain, team, lottery ticket or unlock), the
assist hot path, progress and voiding.

Invariants: an assist is counted once (one per helper per instance, by a unique
constraint); an acknowledged assist is never lost; an instance's progress equals the sum
of the values of its counted assists (its claimed slots); a voided assist is kept, its
slot returned, and the initiator told.
"""
