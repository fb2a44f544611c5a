"""The Camunda 7 history query: one row per activity instance (ACT_HI_ACTINST) with its process context.

Written against the published Camunda 7 DDL (camunda/camunda-bpm-platform, engine/src/main/resources/org/
camunda/bpm/engine/db/create/activiti.{postgres,mariadb,mysql}.create.{engine,history}.sql, 7.10 and later:
``ROOT_PROC_INST_ID_`` exists) in SQL that PostgreSQL, MySQL and MariaDB all run. Table and column names are
unquoted, as Camunda creates them (PostgreSQL folds both to lower case; MySQL keeps the upper case).
Activity types are Camunda's ``org.camunda.bpm.engine.ActivityTypes`` constants.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Camunda activity types a process miner calls activities (Celonis' and Disco's Camunda imports use these).
TASK_TYPES = (
    "task",
    "scriptTask",
    "serviceTask",
    "businessRuleTask",
    "manualTask",
    "userTask",
    "sendTask",
    "receiveTask",
    "callActivity",
)
GATEWAY_TYPES = (
    "exclusiveGateway",
    "inclusiveGateway",
    "parallelGateway",
    "complexGateway",
    "eventBasedGateway",
)
#: Instances that only span other instances (a sub-process, the body of a multi-instance activity).
SCOPE_TYPES = ("subProcess", "adHocSubProcess", "transaction", "multiInstanceBody")
#: Categories of activity types; every other type (start, end, boundary, intermediate events) is ``event``.
CATEGORIES = ("task", "event", "gateway", "scope")

#: ACT_HI_ACTINST.ACT_INST_STATE_ of a cancelled instance (Camunda's ActivityInstanceState.CANCELED).
CANCELED_STATE = 2

#: Output columns the connector's mapping, key and cursor refer to.
KEY = "activity_instance_id"
CURSOR = "changed_at"
END = "end_time"
MAPPING = {
    "case_id_key": "case_id",
    "activity_key": "activity",
    "timestamp_key": "event_time",
    "start_timestamp_key": "start_time",
    "resource_key": "resource",
}

# An incident belongs to the activity instance it was raised in: same process instance, activity and
# execution, created while the instance was open (failed external tasks, asyncAfter jobs). Incidents of
# asyncBefore jobs are raised before Camunda writes the activity instance and are not counted.
_INCIDENTS = """
FROM {t}ACT_HI_INCIDENT i
WHERE i.PROC_INST_ID_ = a.PROC_INST_ID_ AND i.ACTIVITY_ID_ = a.ACT_ID_ AND i.EXECUTION_ID_ = a.EXECUTION_ID_
  AND i.CREATE_TIME_ >= a.START_TIME_ AND (a.END_TIME_ IS NULL OR i.CREATE_TIME_ <= a.END_TIME_)"""

_SELECT = """
SELECT a.ID_ AS activity_instance_id,
       a.PROC_INST_ID_ AS case_id,
       COALESCE(a.ACT_NAME_, a.ACT_ID_) AS activity,
       COALESCE(a.END_TIME_, a.START_TIME_) AS event_time,
       a.START_TIME_ AS start_time,
       a.END_TIME_ AS end_time,
       COALESCE(a.ASSIGNEE_, t.ASSIGNEE_) AS resource,
       CASE WHEN a.END_TIME_ IS NULL THEN 'running'
            WHEN a.ACT_INST_STATE_ = {canceled} THEN 'canceled'
            ELSE 'completed' END AS state,
       a.ACT_ID_ AS activity_id,
       a.ACT_TYPE_ AS activity_type,
       {category} AS category,
       a.PROC_DEF_KEY_ AS process_key,
       d.VERSION_ AS process_version,
       a.PROC_DEF_ID_ AS process_definition_id,
       p.BUSINESS_KEY_ AS business_key,
       a.ROOT_PROC_INST_ID_ AS root_case_id,
       a.DURATION_ AS duration_ms,
       (SELECT COUNT(*) {incidents}) AS incidents,
       (SELECT i.INCIDENT_MSG_ {incidents}
        ORDER BY i.CREATE_TIME_ DESC, i.ID_ DESC LIMIT 1) AS incident_message,
       COALESCE(a.END_TIME_, a.START_TIME_) AS changed_at
FROM {t}ACT_HI_ACTINST a
LEFT JOIN {t}ACT_RE_PROCDEF d ON d.ID_ = a.PROC_DEF_ID_
LEFT JOIN {t}ACT_HI_PROCINST p ON p.PROC_INST_ID_ = a.PROC_INST_ID_
LEFT JOIN {t}ACT_HI_TASKINST t ON t.ID_ = a.TASK_ID_"""


def _literals(values: Iterable[str]) -> str:
    """Constant SQL text literals (only this module's fixed Camunda type names, never user values)."""
    return ", ".join("'" + v + "'" for v in values)


def _category() -> str:
    return (
        f"CASE WHEN a.ACT_TYPE_ IN ({_literals(TASK_TYPES)}) THEN 'task' "
        f"WHEN a.ACT_TYPE_ IN ({_literals(GATEWAY_TYPES)}) THEN 'gateway' "
        f"WHEN a.ACT_TYPE_ IN ({_literals(SCOPE_TYPES)}) THEN 'scope' ELSE 'event' END"
    )


def activity_instances_sql(
    prefix: str, categories: Iterable[str], process_keys: Iterable[str]
) -> tuple[str, dict[str, str]]:
    """The activity-instance query and its bound ``:name`` values.

    Args:
        prefix: put before each Camunda table name: ``""`` or the quoted schema and a dot.
        categories: the kept categories (``CATEGORIES``); bound, one placeholder each.
        process_keys: process definition keys to keep (all when empty); bound, one placeholder each.

    Returns:
        The SELECT (``:name`` placeholders) and the values to bind.
    """
    select = _SELECT.format(
        t=prefix,
        canceled=CANCELED_STATE,
        category=_category(),
        incidents=_INCIDENTS.format(t=prefix).strip(),
    )
    params: dict[str, str] = {}
    cats = []
    for n, cat in enumerate(categories):
        params[f"category_{n}"] = cat
        cats.append(f":category_{n}")
    where = [f"c.category IN ({', '.join(cats)})"]
    keys = []
    for n, key in enumerate(process_keys):
        params[f"process_key_{n}"] = key
        keys.append(f":process_key_{n}")
    if keys:
        where.append(f"c.process_key IN ({', '.join(keys)})")
    # the placeholders are bound by the driver; the rest is this module's constant text
    return f"SELECT * FROM ({select}\n) c WHERE {' AND '.join(where)}", params  # noqa: S608
