"""The seeded catalogue of spec/crypto.md 4.1, as pricing inputs."""

from __future__ import annotations

from decimal import Decimal

from orderdesk.crypto.pricing import Asset, Investment

BTC = Asset("BTC", 8, Decimal("64950.00"), Decimal("65050.00"), Decimal("100000.00"))
ETH = Asset("ETH", 18, Decimal("3195.00"), Decimal("3205.00"), Decimal("100000.00"))
USDC = Asset("USDC", 6, Decimal("0.9990"), Decimal("1.0010"), Decimal("100000.00"))
USDT = Asset("USDT", 6, Decimal("0.9985"), Decimal("1.0015"), Decimal("100000.00"))

A_ETH_USDC = Investment(
    "aEthUSDC",
    6,
    fee_percent=Decimal("10"),
    subscription_min=Decimal("1"),
    subscription_max=Decimal("200000"),
    redemption_min=Decimal("1"),
    redemption_max=Decimal("0"),
)
