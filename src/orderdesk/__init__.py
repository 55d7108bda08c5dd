"""orderdesk: partner order APIs (auto bid orders, crypto orders) on one platform."""

__version__ = "0.1.0"
