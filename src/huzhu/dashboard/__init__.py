"""A campaign's live dashboard: growth beside abuse, for its operators.

The figures come from here alone — the console page and its polled JSON read the same
`service.live_figures` — and each is counted by the domain that owns its rows (assists,
invites, the review queue) through its service. Every figure is a cumulative count at a
series of moments ("edges") ending now, so the last point is the headline number and
the rest draw its history:

- the share of the assists given up to then that are now held for review, and voided;
- complaints (mutes, blocks and spam reports by people the campaign's direct invites
  reached, against the sender who reached them, made after that invite — the same rule
  as a sender's reputation) per 1,000 invites delivered;
- the K-factor: new participants (people whose first act in the campaign was an assist
  or joining a team, before any activity of their own) per starter — net of voided
  assists, and gross beside it, so fake growth shows as the gap between the two.
"""
