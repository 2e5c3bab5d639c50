"""Who may do what: users, sessions and tokens, and the audit log of every showing and change."""
