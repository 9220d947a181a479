"""Who is in the demo coalition: organizations, people and sharing groups, all invented.

Country codes are ISO 3166 user-assigned codes (QM..QZ, XA..XZ, ZZ), never a real
country's; e-mail addresses are under the reserved `.invalid` top-level domain.
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.identity.models import Role
from accord.organizations.models import OrgKind

DOMAIN = "demo.invalid"


@dataclass(frozen=True)
class OrgSpec:
    key: str  # short handle used by the content tables
    name: str
    country: str
    kind: OrgKind
    mail: str  # e-mail subdomain under DOMAIN


@dataclass(frozen=True)
class UserSpec:
    org: str  # OrgSpec.key
    name: str  # "First Last"
    role: Role

    @property
    def email(self) -> str:
        mail = next(o.mail for o in ORGS if o.key == self.org)
        return f"{self.name.lower().replace(' ', '.')}@{mail}.{DOMAIN}"


@dataclass(frozen=True)
class GroupSpec:
    key: str
    name: str
    owner: str  # OrgSpec.key
    members: tuple[str, ...]
    description: str


MEM, PAR, OBS = OrgKind.MEMBER, OrgKind.PARTNER, OrgKind.OBSERVER

ORGS: tuple[OrgSpec, ...] = (
    OrgSpec("ald-mod", "Aldorian Ministry of Defence", "QM", MEM, "mod.aldoria"),
    OrgSpec("ald-gs", "Aldorian General Staff", "QM", MEM, "gs.aldoria"),
    OrgSpec("bor-dd", "Borvanian Defence Department", "QN", MEM, "dd.borvania"),
    OrgSpec("bor-gs", "Borvanian General Staff", "QN", MEM, "gs.borvania"),
    OrgSpec("cas-mod", "Castrelian Ministry of Defence", "QP", MEM, "mod.castrelia"),
    OrgSpec("dra-gs", "Dravonian General Staff", "QR", MEM, "gs.dravonia"),
    OrgSpec("ewg", "Coalition Expert Working Group", "ZZ", MEM, "ewg"),
    OrgSpec("slso", "Southern Littoral Security Organization", "XS", PAR, "slso"),
    OrgSpec("vel-mod", "Velmoran Ministry of Defence", "QV", PAR, "mod.velmora"),
    OrgSpec("tar-obs", "Tarnovian Observer Mission", "QT", OBS, "obs.tarnovia"),
)

A, OA, AN, C, OB = Role.ADMIN, Role.ORG_ADMIN, Role.ANALYST, Role.CONTRIBUTOR, Role.OBSERVER

USERS: tuple[UserSpec, ...] = (
    UserSpec("ewg", "Ilse Varandt", A),
    UserSpec("ewg", "Petra Lindqvar", AN),
    UserSpec("ald-mod", "Marek Haldane", OA),
    UserSpec("ald-mod", "Ana Petrelli", AN),
    UserSpec("ald-mod", "Tomas Reykard", C),
    UserSpec("ald-gs", "Jonah Ardelle", AN),
    UserSpec("ald-gs", "Lena Vossberg", C),
    UserSpec("bor-dd", "Sava Mirecka", OA),
    UserSpec("bor-dd", "Dita Kolvarova", AN),
    UserSpec("bor-dd", "Emil Brandtner", OB),
    UserSpec("bor-gs", "Oren Talvik", AN),
    UserSpec("bor-gs", "Mila Druvena", C),
    UserSpec("cas-mod", "Lucan Ferrado", OA),
    UserSpec("cas-mod", "Inez Caravel", AN),
    UserSpec("dra-gs", "Viktor Stahlen", AN),
    UserSpec("dra-gs", "Nadia Orlenko", OB),
    UserSpec("slso", "Amira Selvane", OA),
    UserSpec("slso", "Karim Dunessa", AN),
    UserSpec("vel-mod", "Rosa Quintemar", AN),
    UserSpec("vel-mod", "Hugo Marrevel", OB),
    UserSpec("tar-obs", "Yara Tolvenik", OB),
    UserSpec("tar-obs", "Bram Oskarden", OB),
)

GROUPS: tuple[GroupSpec, ...] = (
    GroupSpec(
        "cuas",
        "Counter-UAS Working Group",
        "ald-gs",
        ("ald-gs", "ald-mod", "bor-gs", "dra-gs", "ewg", "vel-mod"),
        "Staffs sharing experience of detecting and defeating small unmanned aircraft.",
    ),
    GroupSpec(
        "cbrn",
        "CT and CBRN Prevention Cell",
        "cas-mod",
        ("cas-mod", "ald-mod", "bor-dd", "ewg", "slso"),
        "Counter-terrorism experience and prevention of chemical or biological attacks.",
    ),
    GroupSpec(
        "netsec",
        "Defence Networks Security Liaison",
        "bor-dd",
        ("bor-dd", "ald-mod", "bor-gs", "cas-mod", "dra-gs", "ewg"),
        "Information-security incidents and advisories on defence networks.",
    ),
)


def org(key: str) -> OrgSpec:
    return next(o for o in ORGS if o.key == key)


def users_of(org_key: str, *roles: Role) -> list[UserSpec]:
    return [u for u in USERS if u.org == org_key and (not roles or u.role in roles)]


def groups_of(org_key: str) -> frozenset[str]:
    return frozenset(g.key for g in GROUPS if org_key in g.members)


def publisher(org_key: str) -> UserSpec:
    """The first user of the organization who may publish (analyst preferred)."""
    for role in (Role.ANALYST, Role.ORG_ADMIN, Role.ADMIN):
        found = users_of(org_key, role)
        if found:
            return found[0]
    raise LookupError(f"{org_key} has no user who may publish")


def drafter(org_key: str) -> UserSpec:
    """Who writes the organization's drafts: a contributor when it has one."""
    found = users_of(org_key, Role.CONTRIBUTOR)
    return found[0] if found else publisher(org_key)
