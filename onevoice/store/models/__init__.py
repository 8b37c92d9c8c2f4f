"""All tables, imported here so that Alembic and `Base.metadata` see every one."""
from .audit import AuditEvent, AuditHead
from .base import Base, UTCDateTime, utcnow
from .governance import ApiToken, Channel, Member, PolicyPackVersion, RoleGrant, WebSession

__all__ = ["ApiToken", "AuditEvent", "AuditHead", "Base", "Channel", "Member", "PolicyPackVersion",
           "RoleGrant", "UTCDateTime", "WebSession", "utcnow"]
