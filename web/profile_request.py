"""A coordinator's request about one person, /profiles/{profile_id}/…: what the pages of a profile's
sections (its plans, its caseload and notes) are built on, as a dependency."""

from dataclasses import dataclass

from fastapi import Request

from matcher.profiles.model import NeedsProfile
from web.deps import Conn
from web.routes.profiles import profile_or_404
from web.security import CoordinatorSession


@dataclass
class ProfileRequest:
    """The request, the profile's id from the path, the connection and the coordinator's session."""

    request: Request
    profile_id: str
    conn: Conn
    session: CoordinatorSession

    def profile(self) -> NeedsProfile:
        """The profile, or a 404 page."""
        return profile_or_404(self.conn, self.profile_id)
