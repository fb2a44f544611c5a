"""Hourly rates per role and the resource-to-role map, read from YAML (``baton report --cost-rates``).

::

    hourly_rates:        # EUR per hour of processing time
      clerk: 42
      underwriter: 65
    resource_roles:      # resource name -> role
      alice: clerk
      bob: underwriter
"""

from __future__ import annotations

from pathlib import Path

from baton.errors import FilterError
from baton.yaml_files import read_yaml

_KEYS = ("hourly_rates", "resource_roles")


def read_cost_rates(path: str | Path) -> tuple[dict[str, float], dict[str, str]]:
    """``(hourly_rates, resource_roles)`` from a YAML file shaped as in this module's docstring.

    Raises:
        SourceNotFoundError, MalformedSourceError: no such file, or not YAML.
        FilterError: a missing or unknown key, a rate that is not a number >= 0, a role that is not text.
    """
    source = Path(path)
    data = read_yaml(source, what="the hourly rates (--cost-rates)")
    if not isinstance(data, dict) or set(data) != set(_KEYS):
        found = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise FilterError(
            f"{source.name}: expected exactly the keys hourly_rates and resource_roles, found {found}; "
            "see `baton report --help` and the example in baton/cost_rates.py"
        )
    rates, roles = data["hourly_rates"], data["resource_roles"]
    if not isinstance(rates, dict) or not isinstance(roles, dict):
        raise FilterError(f"{source.name}: hourly_rates and resource_roles must each map names to values")
    for role, rate in rates.items():
        if isinstance(rate, bool) or not isinstance(rate, int | float) or rate < 0:
            raise FilterError(
                f"{source.name}: hourly_rates.{role} = {rate!r}; expected EUR per hour as a number >= 0"
            )
    for resource, role in roles.items():
        if not isinstance(role, str) or not role:
            raise FilterError(f"{source.name}: resource_roles.{resource} = {role!r}; expected a role name")
    return {str(k): float(v) for k, v in rates.items()}, {str(k): v for k, v in roles.items()}
