"""Platform connectors behind one protocol (base.Connector)."""
from __future__ import annotations

from .base import (Connector, ConnectorConfig, ConnectorError, Media, PlatformLimits, PostCounts, PostRef,
                   PublishRequest, RemoteComment)

__all__ = ["Connector", "ConnectorConfig", "ConnectorError", "Media", "PlatformLimits", "PostCounts", "PostRef",
           "PublishRequest", "RemoteComment", "build_connector"]


def build_connector(config: ConnectorConfig) -> Connector:
    """The connector for a channel's platform (imported lazily: each pulls in its SDK)."""
    if config.platform == "mastodon":
        from .mastodon import MastodonConnector

        return MastodonConnector(config)
    if config.platform == "bluesky":
        from .bluesky import BlueskyConnector

        return BlueskyConnector(config)
    raise ConnectorError(f"no connector for platform {config.platform!r}", retryable=False)
