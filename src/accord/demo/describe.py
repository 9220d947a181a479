"""What `accord demo` prints: where to go, the shared password and every login."""

from __future__ import annotations

from dataclasses import dataclass, field

DEMO_PASSWORD = "accord-demo-2026"  # noqa: S105  (fictional demo data, printed on purpose)


@dataclass(frozen=True)
class Login:
    email: str
    role: str
    org: str  # organization name
    key: str  # an API key made on this run


@dataclass
class DemoInfo:
    logins: list[Login] = field(default_factory=list)
    created: bool = True  # False when the coalition existed already (only keys are new)
    org_notes: dict[str, str] = field(default_factory=dict)  # name -> "member, QM"
    groups: int = 0
    versions: int = 0  # object versions stored

    def describe(self, url: str) -> str:
        state = "built" if self.created else "already present; new API keys issued"
        lines = [
            f"Accord demo coalition ({state}) at {url}",
            f"  {len(self.org_notes)} organizations, {len(self.logins)} users, "
            f"{self.groups} sharing groups, {self.versions} object versions (all fictional)",
            f"  password of every demo login: {DEMO_PASSWORD}",
            f"  try: curl -H 'Authorization: Bearer <API key>' {url}/api/v1/me",
        ]
        role_width = max((len(login.role) for login in self.logins), default=0)
        mail_width = max((len(login.email) for login in self.logins), default=0)
        current = None
        for login in self.logins:
            if login.org != current:  # logins come grouped by organization
                current = login.org
                note = self.org_notes.get(login.org)
                lines += ["", f"{login.org} ({note})" if note else login.org]
            lines.append(f"  {login.role:<{role_width}}  {login.email:<{mail_width}}  {login.key}")
        return "\n".join(lines)
