"""A fictional demo coalition: `accord demo`."""

from accord.demo.builder import DEFAULT_SEED, DemoError, build
from accord.demo.describe import DEMO_PASSWORD, DemoInfo, Login

__all__ = ["DEFAULT_SEED", "DEMO_PASSWORD", "DemoError", "DemoInfo", "Login", "build"]
