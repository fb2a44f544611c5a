"""pm4py calls for model discovery: the inductive miner on variant counts, BPMN and PNML writers."""

from __future__ import annotations

import os
import tempfile
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from baton.errors import ModelError
from baton.models.types import PetriNetSpec
from baton.pm4py_bridge import _pm4py
from baton.pm4py_bridge.nets import from_pm4py, spec_to_pm4py


def discover_process_tree(variants: Mapping[tuple[str, ...], int], *, noise_threshold: float = 0.0) -> Any:
    """pm4py's inductive miner on variant counts: what ``pm4py.discover_process_tree_inductive`` gives.

    The miner runs on the variants (pm4py's UVCL, a Counter of activity tuples) instead of one row per
    event, so its cost depends on the number of variants, not of events. Like pm4py's own entry point it
    uses IMf when ``noise_threshold`` > 0 (else plain IM), then folds and sorts the tree.

    Args:
        variants: ``{activity sequence: number of cases}``.
        noise_threshold: IMf's noise threshold in [0, 1] (0 = plain IM).

    Returns:
        The pm4py ``ProcessTree``.
    """
    _pm4py()
    from pm4py.algo.discovery.inductive.dtypes.im_ds import IMDataStructureUVCL
    from pm4py.algo.discovery.inductive.variants.im import IMUVCL
    from pm4py.algo.discovery.inductive.variants.imf import IMFUVCL
    from pm4py.objects.process_tree.utils import generic as pt_util

    uvcl: Counter[tuple[str, ...]] = Counter({tuple(k): int(n) for k, n in variants.items()})
    params = {"noise_threshold": noise_threshold, "multiprocessing": False, "disable_fallthroughs": False}
    miner = IMFUVCL(params) if noise_threshold > 0 else IMUVCL(params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = miner.apply(IMDataStructureUVCL(uvcl), params)
    tree = pt_util.fold(tree)
    pt_util.tree_sort(tree)
    return tree


def discover_net(variants: Mapping[tuple[str, ...], int], *, noise_threshold: float = 0.0) -> PetriNetSpec:
    """The inductive miner's Petri net (as ``pm4py.discover_petri_net_inductive``) for variant counts.

    Args:
        variants: ``{activity sequence: number of cases}``.
        noise_threshold: IMf's noise threshold in [0, 1] (0 = plain IM).

    Returns:
        The net with its initial and final marking, pm4py-free.
    """
    tree = discover_process_tree(variants, noise_threshold=noise_threshold)
    return _stable_spec(*_pm4py().convert_to_petri_net(tree))


def tree_footprint(
    variants: Mapping[tuple[str, ...], int], *, noise_threshold: float = 0.0
) -> tuple[frozenset[tuple[str, str]], frozenset[str], frozenset[str]]:
    """The directly-follows pairs, first and last activities the mined process tree allows (pm4py footprints).

    Exact for process trees and computed bottom-up on the tree, so it stays cheap where a net's
    reachability graph explodes (many concurrent branches).

    Args:
        variants: ``{activity sequence: number of cases}``.
        noise_threshold: IMf's noise threshold in [0, 1] (0 = plain IM).

    Returns:
        ``(edges, starts, ends)``; concurrent activities allow both orders.
    """
    tree = discover_process_tree(variants, noise_threshold=noise_threshold)
    fp = _pm4py().discover_footprints(tree)
    edges = frozenset(fp["sequence"]) | frozenset(fp["parallel"])
    return edges, frozenset(fp["start_activities"]), frozenset(fp["end_activities"])


def write_pnml(net: PetriNetSpec, path: Path) -> Path:
    """Write the net as PNML with pm4py's writer, atomically (temporary file, then rename).

    Args:
        net: the Petri net.
        path: the target file (its parent folder must exist).

    Returns:
        The path written.
    """
    pn, im, fm = spec_to_pm4py(net)
    return _atomic_write(path, ".pnml", lambda tmp: _pm4py().write_pnml(pn, im, fm, tmp))


def write_bpmn(net: PetriNetSpec, path: Path) -> Path:
    """Write the net as BPMN 2.0, atomically (temporary file, then rename).

    A block-structured net (every net the inductive miner finds) goes net -> process tree -> BPMN with
    pm4py's converters; any other sound workflow net uses pm4py's direct net -> BPMN conversion. No
    diagram layout is computed (pm4py's needs the Graphviz ``dot`` program), so modelling tools place
    the elements themselves.

    Args:
        net: the Petri net.
        path: the target file (its parent folder must exist).

    Returns:
        The path written.

    Raises:
        ModelError: pm4py cannot convert the net to BPMN.
    """
    pm4py = _pm4py()
    pn, im, fm = spec_to_pm4py(net)
    try:
        bpmn = pm4py.convert_to_bpmn(pm4py.convert_to_process_tree(pn, im, fm))
    except Exception:  # noqa: BLE001 - pm4py raises bare Exception for nets that are not block-structured
        try:
            bpmn = pm4py.convert_to_bpmn(pn, im, fm)
        except Exception as exc:  # noqa: BLE001 - same: pm4py's own "Unsupported conversion"
            raise ModelError(
                f"cannot export {path} as BPMN: pm4py converts only sound workflow nets to BPMN ({exc}); "
                "export the model as PNML instead"
            ) from exc
    return _atomic_write(path, ".bpmn", lambda tmp: pm4py.write_bpmn(bpmn, tmp, auto_layout=False))


def _atomic_write(path: Path, suffix: str, write: Callable[[str], None]) -> Path:
    """Let ``write`` fill a temporary file beside ``path`` (named ``*suffix``), then rename it to ``path``."""
    path = Path(path)
    if not path.parent.is_dir():
        raise ModelError(f"cannot write {path}: the folder {path.parent} does not exist; create it first")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)  # pm4py's writers append the suffix when a name lacks it: the name carries it already
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would make the export readable by its owner only
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _stable_spec(net: Any, im: Any, fm: Any) -> PetriNetSpec:
    """The miner's net as a PetriNetSpec with stable ids: visible transitions renamed ``t_<label>``.

    The inductive miner names visible transitions with random uuids (its places and silent transitions get
    deterministic names), and its visible labels are unique, so the label makes a reproducible id.
    """
    taken = {p.name for p in net.places} | {t.name for t in net.transitions if t.label is None}
    for t in sorted((t for t in net.transitions if t.label is not None), key=lambda t: t.label):
        tid = f"t_{t.label}"
        while tid in taken:
            tid += "'"
        t.name = tid
        taken.add(tid)
    return from_pm4py(net, im, fm)
