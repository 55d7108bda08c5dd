"""orderdesk-client: the partners' Python SDK for the orderdesk auto and crypto APIs.

from orderdesk_client import AutoClient, CryptoClient, verify_auto_webhook, verify_crypto_webhook
"""

from orderdesk_client._transport import Page, RetryPolicy
from orderdesk_client.auto import AsyncAutoClient, AutoClient
from orderdesk_client.crypto import AsyncCryptoClient, CryptoClient
from orderdesk_client.errors import *  # noqa: F403 (every exception class is public API)
from orderdesk_client.errors import __all__ as _error_names
from orderdesk_client.models import *  # noqa: F403
from orderdesk_client.models import __all__ as _model_names
from orderdesk_client.webhooks import averify_crypto_webhook, verify_auto_webhook, verify_crypto_webhook

__version__ = "0.1.0"
__all__ = [
    "AsyncAutoClient",
    "AsyncCryptoClient",
    "AutoClient",
    "CryptoClient",
    "Page",
    "RetryPolicy",
    "averify_crypto_webhook",
    "verify_auto_webhook",
    "verify_crypto_webhook",
    *_error_names,
    *_model_names,
]
