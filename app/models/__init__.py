"""ORM models, one module per aggregate. Importing this package registers every table on ``Base.metadata``."""

from app.models.api_token import ApiToken
from app.models.claim import SupportClaim
from app.models.coverage import SourceCoverage
from app.models.firehose import DerivativeSighting, FirehoseItem
from app.models.gap import GapRecord, GapRefresh
from app.models.key_mapping import KeyMapping
from app.models.model import Model
from app.models.publisher import Publisher
from app.models.runtime import HardwareSku, Runtime, RuntimeVendor, Vendor
from app.models.source_state import SourceState
from app.models.support import SupportEvent, SupportKey
from app.models.version_statement import VersionStatement
from app.models.watch import Watch, WatchDelivery, WatchDeliveryAttempt
from app.models.webhook_delivery import WebhookDelivery

__all__ = [
    "ApiToken",
    "DerivativeSighting",
    "FirehoseItem",
    "GapRecord",
    "GapRefresh",
    "HardwareSku",
    "KeyMapping",
    "Model",
    "Publisher",
    "Runtime",
    "RuntimeVendor",
    "SourceCoverage",
    "SourceState",
    "SupportClaim",
    "SupportEvent",
    "SupportKey",
    "Vendor",
    "VersionStatement",
    "Watch",
    "WatchDelivery",
    "WatchDeliveryAttempt",
    "WebhookDelivery",
]
