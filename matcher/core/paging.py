"""A list's search: words, filters (None: any), an order and a page, as a named `find` query takes them."""

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Search:
    """The parts every list shares; a list adds its own filters as more fields (each a query parameter)."""

    q: str = ""
    sort: str = ""
    page: int = 1
    size: int = 50

    def params(self) -> dict[str, Any]:
        """The parameters of the list's `find` query: every field, with the page as offset and limit."""
        values = {k: v for k, v in asdict(self).items() if k not in ("page", "size")}
        return values | {"q": self.q or None, "offset": (self.page - 1) * self.size, "limit": self.size}
