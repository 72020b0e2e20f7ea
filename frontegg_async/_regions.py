"""Frontegg's regions and the URLs that belong to each."""

from __future__ import annotations

import enum

from yarl import URL


class Region(enum.Enum):
    """A Frontegg region: ``identity_url`` is the identity service, ``api_url`` the gateway root.

    Sessions for users usually talk to the workspace's own sub-domain instead
    (``https://app-xxxx.frontegg.com/identity``); pass that URL as a string then.
    """

    EU = "api.frontegg.com"
    US = "api.us.frontegg.com"
    CA = "api.ca.frontegg.com"
    AU = "api.au.frontegg.com"

    @property
    def api_url(self) -> URL:
        """The gateway root, e.g. ``https://api.us.frontegg.com`` (``/auth/vendor`` lives here)."""
        return URL.build(scheme="https", host=self.value)

    @property
    def identity_url(self) -> URL:
        """The identity service base, e.g. ``https://api.us.frontegg.com/identity``."""
        return self.api_url / "identity"
