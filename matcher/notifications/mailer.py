"""The sender inside a running app: a thread that LISTENs on the outbox and sends after each commit."""

import logging
import threading

import psycopg

from matcher import db
from matcher.config import Settings
from matcher.notifications.outbox import deliver

log = logging.getLogger(__name__)


class Mailer:
    """Sends queued mails as soon as the change that queued them commits (and every minute, for
    retries). Several app processes may each run one: a mail is locked by the one that sends it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mailer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with db.connect(self.settings) as conn:
                    conn.autocommit = True
                    conn.execute("listen mail_outbox")
                    while not self._stop.is_set():
                        deliver(conn, self.settings)
                        self._wait(conn)
            except Exception:  # the sender must outlive any one failure; mails wait in the outbox meanwhile
                log.exception("mail sender failed; trying again in 5 s")
                self._stop.wait(5)

    def _wait(self, conn: psycopg.Connection) -> None:
        """Until a NOTIFY arrives, the stop is asked, or a minute passes (for retries)."""
        for _ in range(60):
            if self._stop.is_set():
                return
            for _notice in conn.notifies(timeout=1, stop_after=1):
                return
