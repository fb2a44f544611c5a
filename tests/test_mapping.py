"""Column-mapping suggestions from names and values, and validation of user keywords."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from baton.errors import MappingError
from connectors.csv import read_csv
from connectors.mapping import resolve_mapping, suggest_mapping


def table() -> pa.Table:
    return pa.table(
        {
            "Ticket": ["T1", "T1", "T2", "T2", "T3", "T3"],
            "Task": ["Open", "Close", "Open", "Close", "Open", "Close"],
            "End Time": [
                "2024-01-01 10:00",
                "2024-01-01 11:00",
                "2024-01-02 09:00",
                "2024-01-02 12:00",
                "2024-01-03 08:00",
                "2024-01-03 09:30",
            ],
            "Start Time": [
                "2024-01-01 09:00",
                "2024-01-01 10:30",
                "2024-01-02 08:00",
                "2024-01-02 11:00",
                "2024-01-03 07:00",
                "2024-01-03 09:00",
            ],
            "User": ["ann", "bob", "ann", "bob", "cy", "cy"],
            "Notes": ["a", "b", "c", "d", "e", "f"],
        }
    )


def test_suggestions_from_names_and_values() -> None:
    """Ticket/Task/End Time/Start Time/User are proposed with confidence and reasons."""
    s = suggest_mapping(table())
    assert s.mapping() == {
        "case_id_key": "Ticket",
        "activity_key": "Task",
        "timestamp_key": "End Time",
        "start_timestamp_key": "Start Time",
        "resource_key": "User",
    }
    assert s.get("lifecycle_key").column is None
    assert "values are dates" in s.get("timestamp_key").reason


def test_name_contradicted_by_values_is_not_confident() -> None:
    """A column named 'date' whose values are not dates is not a confident timestamp."""
    t = pa.table({"case": ["1", "1", "2"], "activity": ["a", "b", "a"], "date": ["x", "y", "z"]})
    s = suggest_mapping(t).get("timestamp_key")
    assert s.column == "date" and s.confidence < 0.5
    with pytest.raises(MappingError, match="pass timestamp_key='<column>'"):
        resolve_mapping(t, {}, {})


def test_resolve_user_defaults_and_suggestions() -> None:
    """User keywords beat format defaults, which beat suggestions; None unmaps an optional key."""
    got = resolve_mapping(table(), {"resource_key": None, "activity_key": "Notes"}, {"case_id_key": "Ticket"})
    assert got == {
        "case_id_key": "Ticket",
        "activity_key": "Notes",
        "timestamp_key": "End Time",
        "start_timestamp_key": "Start Time",
    }


def test_unknown_column_lists_columns_and_closest() -> None:
    """An unknown column names the keyword, the available columns and the closest match."""
    with pytest.raises(MappingError) as err:
        resolve_mapping(table(), {"case_id_key": "ticket "}, {})
    msg = str(err.value)
    assert "case_id_key='ticket ' is not a column" in msg and "'Notes'" in msg
    assert msg.endswith("did you mean 'Ticket'?")


def test_unknown_keyword_and_duplicate_columns() -> None:
    """An unknown keyword, one column for two required keys, and a taken best guess are MappingErrors."""
    with pytest.raises(MappingError, match="unknown keyword case_key="):
        resolve_mapping(table(), {"case_key": "Ticket"}, {})
    with pytest.raises(MappingError, match="mapped to two"):
        resolve_mapping(table(), {"activity_key": "Ticket", "case_id_key": "Ticket"}, {})
    with pytest.raises(MappingError, match="best guess 'Ticket' is already given as activity_key="):
        resolve_mapping(table(), {"activity_key": "Ticket"}, {})


@pytest.mark.shared_data
def test_receipt_suggestions(shared_data: Path) -> None:
    """On receipt.csv the XES-style columns are picked for every key present."""
    path = shared_data / "logs" / "receipt.csv"
    t = read_csv(path).table
    assert resolve_mapping(t, {}, {}, source=str(path)) == {
        "case_id_key": "case:concept:name",
        "activity_key": "concept:name",
        "timestamp_key": "time:timestamp",
        "resource_key": "org:resource",
        "lifecycle_key": "lifecycle:transition",
    }
