"""One table of platform limits (publishing/limits.yaml): limits.py and every connector read it."""
from __future__ import annotations

from onevoice.publishing import limits
from onevoice.publishing.connectors import PlatformLimits
from onevoice.publishing.connectors.bluesky import BlueskyConnector
from onevoice.publishing.connectors.mastodon import MastodonConnector


def test_every_connector_has_the_tables_limits():
    connectors = [MastodonConnector, BlueskyConnector]
    assert sorted(c.platform for c in connectors) == sorted(limits.LIMITS)
    for connector in connectors:
        assert connector.limits is limits.LIMITS[connector.platform]


def test_the_table_is_read_from_the_data_file():
    assert limits.load_limits() == limits.LIMITS
    assert limits.LIMITS["mastodon"] == PlatformLimits(max_chars=500, url_length=23, max_media=4)
    assert limits.LIMITS["bluesky"] == PlatformLimits(max_chars=300, count_graphemes=True, max_media=4)
