"""Every table, one module per table. Importing this package registers them all on the metadata."""

from needleplan.models.api_key import ApiKey
from needleplan.models.audit_event import AuditEvent
from needleplan.models.client import Client
from needleplan.models.condition_retraction import ConditionRetraction
from needleplan.models.eligibility_override import EligibilityOverride
from needleplan.models.location import Location
from needleplan.models.provider import Provider
from needleplan.models.provider_exception import ProviderException
from needleplan.models.room import Room
from needleplan.models.screening import Screening
from needleplan.models.screening_condition import ScreeningCondition
from needleplan.models.treatment_area import TreatmentArea
from needleplan.models.working_interval import WorkingInterval

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Client",
    "ConditionRetraction",
    "EligibilityOverride",
    "Location",
    "Provider",
    "ProviderException",
    "Room",
    "Screening",
    "ScreeningCondition",
    "TreatmentArea",
    "WorkingInterval",
]
