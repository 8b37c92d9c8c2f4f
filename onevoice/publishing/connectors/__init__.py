"""Platform connectors behind one protocol (base.Connector)."""
from __future__ import annotations

from .base import (Connector, ConnectorConfig, ConnectorError, Media, PlatformLimits, PostCounts, PostRef,
                   PublishRequest, RemoteComment)

__all__ = ["Connector", "ConnectorConfig", "ConnectorError", "Media", "PlatformLimits", "PostCounts", "PostRef",
           "PublishRequest", "RemoteComment", "build_connector", "refuses_credentials", "verify_credentials"]


def build_connector(config: ConnectorConfig) -> Connector:
    """The connector for a channel's platform (imported lazily: each pulls in its SDK)."""
    if config.platform == "mastodon":
        from .mastodon import MastodonConnector

        return MastodonConnector(config)
    if config.platform == "bluesky":
        from .bluesky import BlueskyConnector

        return BlueskyConnector(config)
    raise ConnectorError(f"no connector for platform {config.platform!r}", retryable=False)


def verify_credentials(config: ConnectorConfig) -> str:
    """Who the credentials sign in as ("@ipala@example.social", "@ipala.bsky.social"): a call to
    the platform with them (Mastodon: verify_credentials; Bluesky: a new session). Raises
    ConnectorError when the platform refuses them (`refuses_credentials`) or cannot be reached."""
    return build_connector(config).account()


def refuses_credentials(exc: ConnectorError) -> bool:
    """Whether a failure means the platform refused the channel's credentials (revoked token,
    changed app password, none stored), rather than being down or refusing one post."""
    if exc.retryable:
        return False
    if exc.status == 401:
        return True
    # a 403 is usually about one post ("This action is not allowed"); these are about the account
    return any(w in exc.message for w in (
        "AuthenticationRequired", "InvalidToken", "ExpiredToken", "AuthFactorTokenRequired", "AccountTakedown",
        "access token is invalid", "outside the authorized scopes", "login is currently disabled",
        "needs base_url and credentials", "an identifier and a password"))
