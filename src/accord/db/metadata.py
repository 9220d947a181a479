"""Import every model so that `Base.metadata` knows all tables (Alembic, tests)."""

from accord.audit import models as audit_models
from accord.cooperation import coverage_models
from accord.db import models as db_models
from accord.db.base import Base
from accord.federation import models as federation_models
from accord.identity import models as identity_models
from accord.intel import models as intel_models
from accord.organizations import models as organization_models
from accord.sharing import models as sharing_models
from accord.taxii import models as taxii_models

__all__ = [
    "Base",
    "audit_models",
    "coverage_models",
    "db_models",
    "federation_models",
    "identity_models",
    "intel_models",
    "organization_models",
    "sharing_models",
    "taxii_models",
]
