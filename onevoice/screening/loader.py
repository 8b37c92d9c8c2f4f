"""Loading the detectors: the engine imports the detector modules by name, and their
``@detector`` registrations fill the registry. A new detector module is added to
``DETECTOR_MODULES`` (a test checks that every module that registers one is listed)."""
from __future__ import annotations

import importlib
from collections.abc import Mapping

from .registry import REGISTRY, Registered

# modules of this package whose import registers detectors
DETECTOR_MODULES: tuple[str, ...] = (
    "conduct", "confidential", "employer", "patient", "pattern", "personal_info", "voice",
)


def load_detectors() -> Mapping[str, Registered]:
    """Every registered detector by name, its module imported first."""
    for name in DETECTOR_MODULES:
        importlib.import_module(f"{__package__}.{name}")
    return REGISTRY
