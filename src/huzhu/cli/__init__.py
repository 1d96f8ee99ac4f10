"""The `huzhu` command: one module per command group, assembled in cli/main.py."""
