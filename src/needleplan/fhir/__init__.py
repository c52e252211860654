"""A read-only FHIR R4 facade at ``/fhir/R4``: sessions as Appointments, clients as Patients,
providers as Practitioners (with one Schedule each), clinics and rooms as Locations, treatment
plans as CarePlans and free starts as Slots."""
