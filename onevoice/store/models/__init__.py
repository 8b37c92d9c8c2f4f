"""All tables, imported here so that Alembic and `Base.metadata` see every one."""
from .audit import AuditEvent, AuditHead
from .base import Base, UTCDateTime, utcnow
from .crisis import Comment, InboundBatch, InboundCursor, Incident, IncidentEvent, Playbook, ResponseApproval
from .monitoring import Campaign, ChannelMetricSample, EvaluationReport, LinkClick, PostMetricSample, TrackedLink
from .notify import Notification
from .publishing import Draft, MediaFile, OutboxEntry, Review
from .governance import (ApiToken, Channel, Member, MemberLink, OrgSetting, PolicyAcknowledgement, PolicyPackVersion,
                         RecoveryCode, RoleGrant, SsoUse, WebSession)

__all__ = ["ApiToken", "AuditEvent", "AuditHead", "Base", "Channel", "Comment", "InboundBatch", "InboundCursor", "Incident",
           "IncidentEvent", "Notification", "Playbook", "Draft", "Member", "MemberLink", "SsoUse", "MediaFile", "OutboxEntry", "OrgSetting", "RecoveryCode",
           "PolicyAcknowledgement", "PolicyPackVersion", "ResponseApproval", "Review", "RoleGrant", "UTCDateTime", "WebSession", "utcnow",
           "Campaign", "ChannelMetricSample", "EvaluationReport", "LinkClick", "PostMetricSample", "TrackedLink"]
