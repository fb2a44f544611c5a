"""Filter-bar widgets for attribute filters: pick values that occur (with case counts) or type them."""

from __future__ import annotations

from typing import Any

import streamlit as st

from analytics import AttributeValue, AttributeValues
from app_pages.state import Explorer, attribute_values
from baton.filters import CaseAttribute, EventAttribute, Filter

#: At most this many values are offered to pick from; with more the bar asks to type them.
VALUE_LIMIT = 200
_NUMBER_TYPES = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER")


def _typed(value: Any, sql_type: str) -> Any:
    if sql_type in _NUMBER_TYPES:
        return int(value)
    if sql_type in ("DOUBLE", "FLOAT", "REAL") or sql_type.startswith("DECIMAL"):
        return float(value)
    return str(value)


def typed_values(label: str, options: list[Any], key: str, sql_type: str) -> tuple[Any, ...] | None:
    """A multiselect accepting typed values, converted to the attribute's type (None when empty)."""
    picked = st.multiselect(
        label, options, key=key, accept_new_options=True, placeholder="Pick or type values, then Enter"
    )
    try:
        return tuple(_typed(v, sql_type) for v in picked) or None
    except ValueError:
        st.warning(f"Values must be numbers ({sql_type}).")
        return None


def value_label(v: AttributeValue) -> str:
    """``north (1,204 cases)``: a value and how many cases have it."""
    text = "(empty)" if v.value == "" else str(v.value)
    return f"{text} ({v.cases:,} case{'' if v.cases == 1 else 's'})"


def _fallback_caption(found: AttributeValues) -> str:
    if found.numeric or found.temporal:
        return (
            f"{found.name} ranges from {found.min} to {found.max} ({found.distinct:,} distinct values): "
            "type the values to keep."
        )
    return (
        f"{found.name} has {found.distinct:,} distinct values, too many to list: the {len(found.values):,} "
        "most frequent are offered, type any other."
    )


def attribute_values_input(ex: Explorer, name: str, key: str) -> tuple[Any, ...] | None:
    """The values to filter attribute ``name`` on: picked from those occurring in the unfiltered log
    (labelled with case counts), or typed for numbers, timestamps and attributes with too many values."""
    found = attribute_values(*ex.keys, name, VALUE_LIMIT)
    if found.numeric or found.temporal or found.truncated:
        st.caption(_fallback_caption(found))
        options = [] if found.numeric or found.temporal else [v.value for v in found.values]
        return typed_values("Values", options, key, found.sql_type)
    labels = {v.value: value_label(v) for v in found.values}
    picked = st.multiselect(
        "Values", list(labels), format_func=labels.__getitem__, key=key, placeholder="Pick values"
    )
    return tuple(picked) or None


def case_attribute_filter(ex: Explorer) -> Filter | None:
    """Widgets for a case-attribute filter: the attribute, then its values."""
    names = list(ex.info.case_attributes)
    if not names:
        st.caption("This log has no case attributes.")
        return None
    name = st.selectbox("Attribute", names, key="fb_ca_name")
    values = attribute_values_input(ex, name, "fb_ca_values")
    return CaseAttribute(name, values) if values else None


def event_attribute_filter(ex: Explorer) -> Filter | None:
    """Widgets for an event-attribute filter (activity, resource or a further attribute), then its values."""
    name = st.selectbox("Attribute", ["activity", "resource", *ex.info.event_attributes], key="fb_ea_name")
    values = attribute_values_input(ex, name, "fb_ea_values")
    return EventAttribute(name, values) if values else None
