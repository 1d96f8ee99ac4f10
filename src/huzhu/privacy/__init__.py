"""Privacy: a person's rights over their own data, composed from every domain.

Each domain gives what it holds about one person through its own `export_of` (plain
data, fields named on purpose); this domain puts them into one document. Invariants:

- An export holds nothing about anyone else: another person appears only as a
  pseudonym keyed to the exporting person (`service.pseudonym_for`), the same within
  one person's export and unrelated to any id, name or hash stored anywhere.
- No secret is exported: no token, no keyed hash of a login, no sealed openid.
"""
