"""Names people read for codes the data holds (translated where shown)."""

from __future__ import annotations

from accord.identity.models import Role
from accord.organizations.models import OrgKind
from accord.web.i18n import N_, gettext

TYPE_NAMES: dict[str, str] = {
    "report": N_("Report"),
    "indicator": N_("Indicator"),
    "incident": N_("Incident"),
    "threat-actor": N_("Threat actor"),
    "attack-pattern": N_("Attack pattern"),
    "course-of-action": N_("Course of action"),
    "note": N_("Note"),
    "opinion": N_("Opinion"),
    "sighting": N_("Sighting"),
    "relationship": N_("Relationship"),
    "identity": N_("Identity"),
    "campaign": N_("Campaign"),
    "intrusion-set": N_("Intrusion set"),
    "malware": N_("Malware"),
    "tool": N_("Tool"),
    "vulnerability": N_("Vulnerability"),
    "location": N_("Location"),
    "grouping": N_("Grouping"),
    "observed-data": N_("Observed data"),
    "infrastructure": N_("Infrastructure"),
    "ipv4-addr": N_("IPv4 address"),
    "ipv6-addr": N_("IPv6 address"),
    "domain-name": N_("Domain name"),
    "url": N_("URL"),
    "email-addr": N_("E-mail address"),
    "file": N_("File"),
    "x-accord-agenda-item": N_("Agenda item"),
    "x-accord-exercise": N_("Exercise"),
    "x-accord-cooperation-event": N_("Cooperation event"),
    "x-accord-message": N_("Liaison message"),
}

ROLE_NAMES: dict[Role, str] = {
    Role.ADMIN: N_("Node administrator"),
    Role.ORG_ADMIN: N_("Organization administrator"),
    Role.ANALYST: N_("Analyst"),
    Role.CONTRIBUTOR: N_("Contributor"),
    Role.OBSERVER: N_("Observer"),
}

KIND_NAMES: dict[OrgKind, str] = {
    OrgKind.MEMBER: N_("Member"),
    OrgKind.PARTNER: N_("Partner"),
    OrgKind.OBSERVER: N_("Observer"),
    OrgKind.THIRD_COUNTRY: N_("Third country"),
    OrgKind.INTERNATIONAL_ORGANIZATION: N_("International organization"),
}


def type_name(stix_type: str) -> str:
    name = TYPE_NAMES.get(stix_type)
    return gettext(name) if name else stix_type


def role_name(role: Role | str) -> str:
    return gettext(ROLE_NAMES[Role(role)])


def kind_name(kind: OrgKind | str) -> str:
    return gettext(KIND_NAMES[OrgKind(kind)])
