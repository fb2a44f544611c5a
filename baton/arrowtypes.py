"""Arrow type helpers shared by connectors and the store: text may arrive plain or dictionary-encoded."""

from __future__ import annotations

import pyarrow as pa


def is_text(typ: pa.DataType) -> bool:
    """Whether a column holds text: ``string``/``large_string``, or a dictionary of those (Parquet)."""
    if pa.types.is_dictionary(typ):
        typ = typ.value_type
    return bool(pa.types.is_string(typ) or pa.types.is_large_string(typ))
