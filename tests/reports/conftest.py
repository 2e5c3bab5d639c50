"""The web fixtures (the app on a demo database, signed-in browsers, API clients) for the report tests."""

from tests.web.conftest import admin, anonymous, api_client, app, coordinator, host  # noqa: F401
