"""Address shapes per network (spec/crypto.md 7, 8.8)."""

from __future__ import annotations

import pytest

from orderdesk.crypto.addresses import address_key, check_address, is_valid_address
from orderdesk.platform.errors import ApiError

EVM = ["ethereum", "polygon", "arbitrum", "optimism", "base", "bsc", "avalanche"]
EVM_ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


@pytest.mark.parametrize(
    "address",
    [
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",  # spec example (P2WPKH)
        "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ",  # bech32 ignores case
        "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",  # taproot
        "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",  # testnet
        "bcrt1q6rhpng9evdsfnn833a4f4vej0asu6dk5srld6x",  # regtest
        "bc1" + "q" * 11,
        "bc1" + "q" * 71,  # length bounds
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",  # base58 P2PKH
        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",  # base58 P2SH
        "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",
        "n3GNqMveyvaPvUbH469vDRadqpJMPc84JA",
        "2MzQwSSnBHWHqSAqtTVQ6v47XtaisrJa1Vc",
        "1" + "1" * 25,  # base58 shortest
    ],
)
def test_bitcoin_accepts(address: str) -> None:
    assert is_valid_address("bitcoin", address)
    check_address("bitcoin", address)


@pytest.mark.parametrize(
    "address",
    [
        "",
        "bc1" + "q" * 10,
        "bc1" + "q" * 72,
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdb",  # b not in bech32 data
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdi",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdo",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5md1",
        "ltc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        " bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq\n",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5md\u212a",  # Kelvin sign folds to k without re.ASCII
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0",  # 0 is not base58
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNO",
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNI",
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNl",
        "4J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
        "1" * 26 + "1" * 10,
        "1" * 25,
        EVM_ADDRESS,
    ],
)
def test_bitcoin_rejects(address: str) -> None:
    assert not is_valid_address("bitcoin", address)
    with pytest.raises(ApiError) as err:
        check_address("bitcoin", address)
    assert (err.value.status, err.value.code, err.value.message) == (
        400,
        "invalid_crypto_currency_address",
        "Invalid address for network bitcoin",
    )


@pytest.mark.parametrize("network", EVM)
def test_evm_networks(network: str) -> None:
    assert is_valid_address(network, EVM_ADDRESS)
    assert is_valid_address(network, EVM_ADDRESS.lower())
    assert is_valid_address(network, "0x" + "F" * 40)
    for bad in [
        "0x" + "a" * 39,
        "0x" + "a" * 41,
        "0X" + "a" * 40,
        "a" * 42,
        "0x" + "g" * 40,
        EVM_ADDRESS + "\n",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        "0x" + "\uff41" * 40,
    ]:
        assert not is_valid_address(network, bad)
    with pytest.raises(ApiError) as err:
        check_address(network, "0x123")
    assert err.value.message == f"Invalid address for network {network}"


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("r9cZA1mLK5R5Am25ArfXFmqgNwjZgnfk59", True),
        ("x", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("", False),
        ("has space", False),
        ("tab\there", False),
        ("newline\n", False),
        ("ñandú", True),
    ],
)
def test_other_networks(address: str, valid: bool) -> None:
    assert is_valid_address("ripple", address) is valid


def test_address_key_ignores_case_only_where_the_format_does() -> None:
    assert address_key("ethereum", EVM_ADDRESS) == address_key("ethereum", EVM_ADDRESS.lower())
    assert address_key("bitcoin", "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ") == address_key(
        "bitcoin", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
    )
    assert address_key("bitcoin", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa") != address_key(
        "bitcoin", "1a1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    )
    assert address_key("ripple", "rAbC") != address_key("ripple", "rabc")
