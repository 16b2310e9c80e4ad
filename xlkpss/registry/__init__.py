"""The national registry of social services (MPSV RPSS open data) in xlkpss.

``import_registry(rpss.json, territory=…)`` streams the open-data file into a
``Registry`` of services keyed by (identifikátor, forma); ``write_registry`` saves it as
``registr.xlsx`` for people and for the next steps; ``read_registry`` / ``load_registry``
read that workbook back.  Pre-filled templates (``xlkpss.template.prefill``) and the
comparison of reports with the registry use ``load_registry``.
"""

from xlkpss.registry.model import (
    Capacity,
    Facility,
    Provider,
    Registry,
    RegistryError,
    RegistryIssue,
    RegistryService,
    ServiceKey,
)
from xlkpss.registry.rpss import CAPACITY_PREFERENCE, import_registry, summary_line
from xlkpss.registry.workbook import is_registry_workbook, load_registry, read_registry, write_registry

__all__ = [
    "CAPACITY_PREFERENCE",
    "Capacity",
    "Facility",
    "Provider",
    "Registry",
    "RegistryError",
    "RegistryIssue",
    "RegistryService",
    "ServiceKey",
    "import_registry",
    "is_registry_workbook",
    "load_registry",
    "read_registry",
    "summary_line",
    "write_registry",
]
