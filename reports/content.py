"""What a before/after and ROI report says, as one frozen value every format (HTML, PDF, Excel) renders.

The analytics fill it (KPI comparisons, ROI estimate, maps as SVG); the renderers only lay it out, so the
same inputs give the same figures in every format.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analytics.roi import RoiEstimate
from analytics.stats import Comparison, DiffInDiff


@dataclass(frozen=True, slots=True)
class KpiRow:
    """One KPI compared before and after: its catalogue entry, the comparison, the verdict text and the DiD.

    The fields are `analytics.before_after.KpiComparison`'s, in its order. ``did`` holds the
    difference-in-differences estimate (``did.effect``) and its interval (``did.ci``) against the control
    group; it and ``did_verdict`` are None without a control (``did_verdict`` alone says why a KPI has no
    DiD when the control lacks it).
    """

    key: str
    name: str
    definition: str
    unit: str  # "duration" (values in microseconds) | "share" (0..1) | "count" | "money" | "per_period"
    better: str  # "lower" | "higher"
    comparison: Comparison | None  # None when the KPI is not available for these logs
    verdict: str  # plain language, e.g. "Cycle time fell 58% (95% CI 54-62%) ..."
    unavailable_reason: str | None = None
    method: str = ""  # how the KPI was compared, e.g. "median over each side's complete cases; ..."
    did: DiffInDiff | None = None  # None without a control group
    did_verdict: str | None = None  # plain language, e.g. "Cycle time fell 40% in the changed group ..."


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Where one compared period's data came from."""

    role: str  # "before" | "after" | "control before" | "control after"
    log: str
    source: str
    checksum: str
    filters: str  # the filter spec as JSON ("[]" when none)
    first_timestamp: str
    last_timestamp: str
    cases: int


@dataclass(frozen=True, slots=True)
class ReportContent:
    """Everything one report shows, in reading order."""

    title: str
    subtitle: str
    generated_at: str  # ISO 8601 UTC
    baton_version: str
    executive_summary: tuple[str, ...]  # short paragraphs for a business reader
    kpis: tuple[KpiRow, ...]
    warnings: tuple[str, ...]  # small samples, case-mix shift, incomplete cases at the edges, ...
    sources: tuple[SourceInfo, ...]
    roi: RoiEstimate | None = None
    map_before_svg: str | None = None
    map_after_svg: str | None = None
    model_svg: str | None = None  # the target model's diagram, when one was used
    assumptions: tuple[str, ...] = field(default_factory=tuple)
