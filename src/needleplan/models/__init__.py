"""Every table, one module per table. Importing this package registers them all on the metadata."""

from needleplan.models.api_key import ApiKey
from needleplan.models.audit_event import AuditEvent
from needleplan.models.busy_block import BusyBlock
from needleplan.models.busy_day import BusyDay
from needleplan.models.calendar_feed import CalendarFeed
from needleplan.models.care_notice import CareNotice
from needleplan.models.client import Client
from needleplan.models.condition_retraction import ConditionRetraction
from needleplan.models.course_template import CourseTemplate
from needleplan.models.device import Device
from needleplan.models.eligibility_override import EligibilityOverride
from needleplan.models.eligibility_summary import EligibilitySummary
from needleplan.models.event import Event
from needleplan.models.hold import Hold
from needleplan.models.idempotency_record import IdempotencyRecord
from needleplan.models.location import Location
from needleplan.models.provider import Provider
from needleplan.models.provider_exception import ProviderException
from needleplan.models.room import Room
from needleplan.models.screening import Screening
from needleplan.models.screening_condition import ScreeningCondition
from needleplan.models.session_move import SessionMove
from needleplan.models.session_notice import SessionNotice
from needleplan.models.treatment_area import TreatmentArea
from needleplan.models.treatment_plan import TreatmentPlan
from needleplan.models.treatment_session import TreatmentSession
from needleplan.models.webhook_delivery import WebhookDelivery
from needleplan.models.webhook_endpoint import WebhookEndpoint
from needleplan.models.working_interval import WorkingInterval

__all__ = [
    "ApiKey",
    "AuditEvent",
    "BusyBlock",
    "BusyDay",
    "CalendarFeed",
    "CareNotice",
    "Client",
    "ConditionRetraction",
    "CourseTemplate",
    "Device",
    "EligibilityOverride",
    "EligibilitySummary",
    "Event",
    "Hold",
    "IdempotencyRecord",
    "Location",
    "Provider",
    "ProviderException",
    "Room",
    "Screening",
    "ScreeningCondition",
    "SessionMove",
    "SessionNotice",
    "TreatmentPlan",
    "TreatmentSession",
    "TreatmentArea",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WorkingInterval",
]
