"""Inputs of the ROI business case (KPI deltas with bounds, costs, horizon, ramp), validated; YAML in and out.

Conventions a finance reader can check:

* A KPI delta is the change of a lower-is-better KPI, *after minus before* (``-32`` minutes of clerk work per
  case, ``-0.11`` error rate). It carries three numbers: ``expected`` (the point estimate),
  ``conservative`` (the confidence bound least favourable to the business case, i.e. the larger one) and
  ``optimistic`` (the other bound), so ``optimistic <= expected <= conservative``.
  ``KpiDelta.from_interval(expected, low, high)`` picks the bounds from a confidence interval.
* Labour saving per case and role = ``-(minutes change) / 60 x hourly cost``; error and SLA-breach saving
  per case = ``-(rate change) x cost per error (breach)``.
* ``annual_volume`` is the number of cases per year, given or ``measured`` from a log (pass the measured
  number when loading: ``load_roi_inputs(path, measured_volume=10_000)``).
* ``adoption_ramp[t-1]`` is the share of the full annual saving realised in year ``t``; years beyond the
  ramp keep its last share (no ramp: 100% from year 1). Running costs are paid in full from year 1.

Example YAML: ``sample_logs/roi_inputs.yaml``.
"""

from __future__ import annotations

from analytics.roi_input_types import MAX_HORIZON_YEARS as MAX_HORIZON_YEARS
from analytics.roi_input_types import SCENARIOS as SCENARIOS
from analytics.roi_input_types import VOLUME_SOURCES as VOLUME_SOURCES
from analytics.roi_input_types import ActivityTimes as ActivityTimes
from analytics.roi_input_types import KpiDelta as KpiDelta
from analytics.roi_input_types import RateSaving as RateSaving
from analytics.roi_input_types import RoiInputs as RoiInputs
from analytics.roi_input_types import RoleSaving as RoleSaving
from analytics.roi_input_types import TargetChanges as TargetChanges
from analytics.roi_input_types import check_number as check_number
from analytics.roi_yaml import DELTA_KEYS as DELTA_KEYS
from analytics.roi_yaml import ROLE_KEYS as ROLE_KEYS
from analytics.roi_yaml import TOP_KEYS as TOP_KEYS
from analytics.roi_yaml import load_roi_inputs as load_roi_inputs
from analytics.roi_yaml import roi_inputs_from_dict as roi_inputs_from_dict
from analytics.roi_yaml import roi_inputs_to_dict as roi_inputs_to_dict
from analytics.roi_yaml import save_roi_inputs as save_roi_inputs
from baton.errors import RoiInputError as RoiInputError
