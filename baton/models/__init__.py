"""Target (to-be) process models: BPMN 2.0, PNML and Baton's YAML orchestration spec, as one typed model."""

from baton.models.types import (
    FourEyesRule,
    ModelNote,
    ModelTask,
    PetriNetSpec,
    RetryPolicy,
    SlaTimer,
    TargetModel,
)

__all__ = ["FourEyesRule", "ModelNote", "ModelTask", "PetriNetSpec", "RetryPolicy", "SlaTimer", "TargetModel"]
