"""Read a target model from a file, choosing the reader by its suffix (.bpmn/.xml, .pnml, .yaml/.yml)."""

from __future__ import annotations

from pathlib import Path

from baton.errors import ModelError, SourceNotFoundError
from baton.models.bpmn import read_bpmn
from baton.models.pnml import read_pnml
from baton.models.types import TargetModel
from baton.models.yaml_spec import read_yaml_spec

SUFFIXES = (".bpmn", ".xml", ".pnml", ".yaml", ".yml")


def read_model(path: str | Path, *, name: str | None = None) -> TargetModel:
    """Read a BPMN 2.0, PNML or YAML-spec target model.

    Args:
        path: a ``.bpmn`` / ``.xml`` (BPMN 2.0), ``.pnml`` or ``.yaml`` / ``.yml`` (Baton spec) file.
        name: the model's name (default: the name in the file, else the file name).

    Raises:
        SourceNotFoundError: the file does not exist.
        ModelError: another suffix, or a model that cannot be read (see the readers).

    Example:
        >>> read_model("sample_logs/loans_target.yaml").start_activities  # doctest: +SKIP
        frozenset({'Receive Application'})
    """
    source = Path(path)
    if not source.exists():
        raise SourceNotFoundError(f"{source}: no such file; check the path")
    suffix = source.suffix.lower()
    if suffix in (".bpmn", ".xml"):
        return read_bpmn(source, name=name)
    if suffix == ".pnml":
        return read_pnml(source, name=name)
    if suffix in (".yaml", ".yml"):
        return read_yaml_spec(source, name=name)
    raise ModelError(
        f"{source.name}: cannot read a target model from a {suffix or 'suffix-less'} file; expected one of "
        f"{', '.join(SUFFIXES)} (BPMN 2.0 XML, PNML Petri net or Baton's YAML spec) - rename or convert it"
    )
