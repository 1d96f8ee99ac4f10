"""Small shared pieces with no domain knowledge: clock, ids, signing, money."""
