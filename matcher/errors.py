"""The domain's refusals, each with a Japanese message for the person who asked (and the field it is
about, where there is one). The domain knows nothing of HTTP: the web layer maps each class to a status
once (web/app.py: NotFound 404, Conflict 409, NotAllowed 403, Invalid 422)."""


class DomainError(Exception):
    """A request the domain refuses."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The thing asked for does not exist (or may not be revealed)."""


class Conflict(DomainError):
    """The request clashes with the state things are in now (no place left, a step out of order)."""


class NotAllowed(DomainError):
    """The asker may not do this."""


class Invalid(DomainError):
    """The input is not acceptable; `field` names where."""
