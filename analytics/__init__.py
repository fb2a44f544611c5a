"""Process analytics as DuckDB SQL over the stored, precomputed tables, returning frozen results."""

from analytics._query import DurationStats
from analytics.activities import ActivityStatistics, ActivityStats, get_activity_statistics
from analytics.attributes import AttributeValue, AttributeValues, get_attribute_values
from analytics.before_after import BeforeAfter, KpiComparison, compare_before_after
from analytics.before_after_setup import CutoverSetup, SegmentsSetup, TwoLogsSetup
from analytics.bottlenecks import (
    ActivityBottleneck,
    Bottlenecks,
    ReworkHotSpot,
    Transition,
    format_duration,
    get_bottlenecks,
)
from analytics.cases import (
    CaseList,
    CaseSummary,
    CaseTimeline,
    TimelineEvent,
    find_cases,
    get_case_timeline,
    get_cases_behind,
)
from analytics.conformance import (
    BudgetHits,
    Conformance,
    FitnessSummary,
    check_conformance,
    conformance_over_time,
)
from analytics.conformance_cases import (
    ActivityDeviation,
    CaseGroups,
    ConformanceOverTime,
    Deviation,
    GroupStats,
    PeriodConformance,
    VariantConformance,
)
from analytics.dfg import DFG, DfgEdge, discover_dfg, get_end_activities, get_start_activities
from analytics.discovery import discover_target_model, export_bpmn, export_pnml
from analytics.durations import CaseDurations, get_case_durations
from analytics.kpi_catalogue import CATALOGUE, KpiDefinition, KpiSettings
from analytics.kpis import KpiSummary, KpiValue, PeriodKpis, get_case_kpis, get_kpis
from analytics.map_measures import ActivityMeasure, EdgeMeasure, EdgeMeasures, get_edge_measures
from analytics.model_overlay import ModelOverlay, OverlayEdge, OverlayEndpoint, get_model_overlay
from analytics.orchestration import (
    FourEyesReport,
    FourEyesResult,
    Handoff,
    HumanSystemTimes,
    OwnerTimes,
    RetryReport,
    RetryResult,
    check_four_eyes,
    check_retries,
    get_human_system_times,
)
from analytics.orchestration_sla import SlaReport, SlaResult, check_sla
from analytics.payload import MapEdge, ProcessMapPayload, get_process_map_payload
from analytics.performance import EdgePerformance, PerformanceDFG, discover_performance_dfg
from analytics.resources import (
    Handover,
    Handovers,
    ResourceStatistics,
    ResourceStats,
    get_handovers,
    get_resource_statistics,
)
from analytics.rework import ActivityRework, Rework, get_rework
from analytics.roi import RoiEstimate, estimate_roi
from analytics.roi_inputs import RoiInputs, load_roi_inputs, save_roi_inputs
from analytics.stats import Comparison, DiffInDiff, MixShift, case_mix_shift, compare_samples, diff_in_diff
from analytics.throughput import PeriodThroughput, Throughput, get_throughput
from analytics.variants import Variant, Variants, get_variants
from analytics.working_calendar import WorkingCalendar

__all__ = [
    "ActivityBottleneck",
    "ActivityDeviation",
    "ActivityMeasure",
    "ActivityRework",
    "ActivityStatistics",
    "ActivityStats",
    "AttributeValue",
    "AttributeValues",
    "BeforeAfter",
    "Bottlenecks",
    "BudgetHits",
    "CATALOGUE",
    "CaseDurations",
    "CaseGroups",
    "CaseList",
    "CaseSummary",
    "CaseTimeline",
    "Comparison",
    "Conformance",
    "ConformanceOverTime",
    "CutoverSetup",
    "DFG",
    "Deviation",
    "DfgEdge",
    "DiffInDiff",
    "DurationStats",
    "EdgeMeasure",
    "EdgeMeasures",
    "EdgePerformance",
    "FitnessSummary",
    "FourEyesReport",
    "FourEyesResult",
    "GroupStats",
    "Handoff",
    "Handover",
    "Handovers",
    "HumanSystemTimes",
    "KpiComparison",
    "KpiDefinition",
    "KpiSettings",
    "KpiSummary",
    "KpiValue",
    "MapEdge",
    "MixShift",
    "ModelOverlay",
    "OverlayEdge",
    "OverlayEndpoint",
    "OwnerTimes",
    "PerformanceDFG",
    "PeriodConformance",
    "PeriodKpis",
    "PeriodThroughput",
    "ProcessMapPayload",
    "ResourceStatistics",
    "ResourceStats",
    "RetryReport",
    "RetryResult",
    "Rework",
    "ReworkHotSpot",
    "RoiEstimate",
    "RoiInputs",
    "SegmentsSetup",
    "SlaReport",
    "SlaResult",
    "Throughput",
    "TimelineEvent",
    "Transition",
    "TwoLogsSetup",
    "Variant",
    "VariantConformance",
    "Variants",
    "WorkingCalendar",
    "case_mix_shift",
    "check_conformance",
    "check_four_eyes",
    "check_retries",
    "check_sla",
    "compare_before_after",
    "compare_samples",
    "conformance_over_time",
    "diff_in_diff",
    "discover_dfg",
    "discover_performance_dfg",
    "discover_target_model",
    "estimate_roi",
    "export_bpmn",
    "export_pnml",
    "find_cases",
    "format_duration",
    "get_activity_statistics",
    "get_attribute_values",
    "get_bottlenecks",
    "get_case_durations",
    "get_case_kpis",
    "get_case_timeline",
    "get_cases_behind",
    "get_edge_measures",
    "get_end_activities",
    "get_handovers",
    "get_human_system_times",
    "get_kpis",
    "get_model_overlay",
    "get_process_map_payload",
    "get_resource_statistics",
    "get_rework",
    "get_start_activities",
    "get_throughput",
    "get_variants",
    "load_roi_inputs",
    "save_roi_inputs",
]
