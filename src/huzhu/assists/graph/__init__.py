"""The assist graph as other domains read it: who helped whom. Invites ask whether two
accounts have helped each other (a "contact" may invite under `accept_from=contacts`);
risk reads the helper x instance edges its batch ring detection scores
(`huzhu.risk.detect_service`, the pure scoring in `huzhu.risk.graph`) and the shops with
new assists its schedule scans.

Owns those reads (`service`) and their queries (`repository`); nothing here writes.

Invariants:

- detection reads a shop's edges, and an edge is a counted or held assist: a voided one
  has already been dealt with and is no evidence of a ring any more;
- assisting makes two accounts contacts only through a counted assist, either way
  between them: a held or voided one opens no one's consent.
"""
