"""Writing the audit trail. Services call `audit_record` inside their own transaction, so an action and its
audit row are committed together or not at all."""

from portal.models import AuditEntry


def client_ip(request) -> str | None:
    """The address the request came from (REMOTE_ADDR: behind a proxy, the proxy must set it)."""
    return request.META.get("REMOTE_ADDR") or None if request is not None else None


def audit_record(*, actor, action: str, dossier=None, ip: str | None = None, **detail) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor, action=action, dossier=dossier, ip_address=ip, detail=detail
    )
