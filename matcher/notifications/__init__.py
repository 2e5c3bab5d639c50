"""Mail to hosts and coordinators about what happened to a referral, and never who it is about.

Mails are written to an outbox in the same transaction as the change they tell of (so a change that
rolls back sends nothing) and sent after the commit by whoever is listening (`Mailer` in the web app,
woken by NOTIFY) or by `matcher mail send` / `matcher mail daily` from cron. With MATCHER_SMTP_URL unset
nothing is queued at all."""
