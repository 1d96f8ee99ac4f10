"""Batch graph detection of assist rings: pure numpy/scipy, no database, no web.

The input is a bipartite graph of accounts (helpers) and targets (instances, initiators,
or in the offline evaluation Yelp businesses), one edge per (account, target) with the
time of the first act. Three searches propose suspicious groups:

- `fraudar` — dense-block peeling with camouflage-resistant column weights (Hooi et al.,
  "FRAUDAR: Bounding Graph Fraud in the Face of Camouflage", KDD 2016);
- `lockstep` — groups acting on the same targets inside short time windows (Beutel et
  al., "CopyCatch: Stopping Group Attacks by Spotting Lockstep Behavior in Social
  Networks", WWW 2013);
- `similar` — groups whose target sets nearly coincide, found with MinHash banding, for
  rings that act slowly enough to escape any time window.

Every proposal is then judged by one null model (`evidence`): how many accounts of this
graph would cover that many of the group's targets (in its windows) by chance, given each
account's activity and each target's popularity. Plain density loses to honest heavy
users on popular targets; the null model charges them for exactly that popularity.
`score.score_accounts` turns the judged groups into one score per account with reasons.

Everything here is near-linear in the number of edges, so that a campaign's million
assists are scored in minutes on one core.
"""
