"""The auto product. `mount`, `register_jobs` and `on_startup` are its hooks into the app."""

from orderdesk.auto.product import load_demo, mount, on_startup, register_jobs

__all__ = ["load_demo", "mount", "on_startup", "register_jobs"]
