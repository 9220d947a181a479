"""A fictional demo coalition: `accord demo`."""

from accord.demo.build import DemoInfo, build

__all__ = ["DemoInfo", "build"]
