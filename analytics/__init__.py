"""Process analytics as DuckDB SQL over the stored, precomputed tables, returning frozen results."""

from analytics._query import DurationStats
from analytics.activities import ActivityStatistics, ActivityStats, get_activity_statistics
from analytics.attributes import AttributeValue, AttributeValues, get_attribute_values
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
from analytics.dfg import DFG, DfgEdge, discover_dfg, get_end_activities, get_start_activities
from analytics.durations import CaseDurations, get_case_durations
from analytics.map_measures import ActivityMeasure, EdgeMeasure, EdgeMeasures, get_edge_measures
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
from analytics.throughput import PeriodThroughput, Throughput, get_throughput
from analytics.variants import Variant, Variants, get_variants

__all__ = [
    "DFG",
    "ActivityBottleneck",
    "ActivityMeasure",
    "ActivityRework",
    "ActivityStatistics",
    "ActivityStats",
    "AttributeValue",
    "AttributeValues",
    "Bottlenecks",
    "CaseDurations",
    "CaseList",
    "CaseSummary",
    "CaseTimeline",
    "DfgEdge",
    "DurationStats",
    "EdgeMeasure",
    "EdgeMeasures",
    "EdgePerformance",
    "Handover",
    "Handovers",
    "MapEdge",
    "PerformanceDFG",
    "PeriodThroughput",
    "ProcessMapPayload",
    "ResourceStatistics",
    "ResourceStats",
    "Rework",
    "ReworkHotSpot",
    "Throughput",
    "TimelineEvent",
    "Transition",
    "Variant",
    "Variants",
    "discover_dfg",
    "discover_performance_dfg",
    "find_cases",
    "format_duration",
    "get_activity_statistics",
    "get_attribute_values",
    "get_bottlenecks",
    "get_case_durations",
    "get_case_timeline",
    "get_cases_behind",
    "get_edge_measures",
    "get_end_activities",
    "get_handovers",
    "get_process_map_payload",
    "get_resource_statistics",
    "get_rework",
    "get_start_activities",
    "get_throughput",
    "get_variants",
]
