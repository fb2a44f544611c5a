"""Conformance page: the chosen log (after the filters) against a target model - fitness, deviations, overlay
map, SLA timers, four-eyes and retry rules, human vs system time."""

from __future__ import annotations

from functools import partial

import plotly.express as px
import streamlit as st

import analytics as an
from analytics import format_duration
from app_pages import conformance_map as cmap
from app_pages import conformance_state as cs
from app_pages.filter_bar import explorer_or_stop
from app_pages.spark_logs import stop_if_spark
from app_pages.state import Explorer, edge_measures, map_layout
from baton.errors import BatonError
from baton.models.types import TargetModel

SOURCES = {"sample": "Bundled model", "upload": "Upload a model", "discover": "Discover from this log"}
_csv = cs.csv_bytes


def _choose_model(ex: Explorer) -> str:
    """The model key of the bundled, uploaded or discovered model; stops when none is chosen yet."""
    source = st.radio(
        "Target model", list(SOURCES), format_func=SOURCES.__getitem__, key="cf_source", horizontal=True
    )
    if source == "sample":
        files = {p.name: p for p in cs.sample_models()}
        if not files:
            st.info(f"No model files (.bpmn .pnml .yaml .yml) in `{cs.models_dir()}`; upload one instead.")
            st.stop()
        return cs.file_model_key(files[st.selectbox("Model", list(files), key="cf_sample")])
    if source == "upload":
        up = st.file_uploader(
            "BPMN 2.0, PNML or Baton YAML model", type=["bpmn", "xml", "pnml", "yaml", "yml"], key="cf_upload"
        )
        if up is None:
            st.info("Upload a model file to compare the log with.")
            st.stop()
        return cs.upload_model_key(up.name, up.getvalue())
    noise = st.slider(
        "Noise threshold (0: every variant fits the discovered model)", 0.0, 1.0, 0.2, 0.05, key="cf_noise"
    )
    st.caption("The inductive miner runs on the filtered cases.")
    return cs.discovered_model_key(noise)


def _model_or_stop(ex: Explorer, key: str) -> TargetModel:
    try:
        return cs.target_model(ex.keys, ex.spec_json, key)
    except BatonError as exc:
        st.error(f"Cannot use this model: {exc}")
        st.stop()
        raise  # unreachable: st.stop() ends the script run


def _model_info(ex: Explorer, key: str, model: TargetModel) -> None:
    st.caption(
        f"**{model.name}** ({model.format}): {len(model.activities)} activities, {len(model.timers)} SLA timers, "
        f"{len(model.four_eyes)} four-eyes rules, {len(model.retries)} retry policies"
    )
    notes, tasks = cs.model_tables(model)
    with st.expander(f"Model notes ({len(notes)})"):
        if model.notes:
            st.dataframe(notes, hide_index=True, key="cf_notes")
        else:
            st.write("Every element of the model is used by the checks.")
    with st.expander(f"Tasks ({len(tasks)})"):
        st.dataframe(tasks, hide_index=True, key="cf_tasks")
    if model.format == "discovered":
        cols = st.columns(4)
        for col, fmt in zip(cols, ("bpmn", "pnml"), strict=False):
            try:
                data = cs.exported_model(ex.keys, ex.spec_json, key, fmt)
            except BatonError as exc:
                col.error(f"Cannot write {fmt.upper()}: {exc}")
                continue
            col.download_button(
                f"Model as {fmt.upper()}", data, f"{ex.info.name}-model.{fmt}", key=f"cf_dl_{fmt}"
            )


def _diagram(ex: Explorer, key: str) -> None:
    """The target model as a diagram, with an SVG download."""
    try:
        svg = cs.model_diagram(ex.keys, ex.spec_json, key)
    except BatonError as exc:
        st.error(f"Cannot draw this model: {exc}")
        return
    st.image(svg, width="content")
    st.download_button(
        "Model diagram as SVG", svg, f"{ex.info.name}-model.svg", "image/svg+xml", key="cf_dl_diagram"
    )


def _settings() -> str:
    with st.expander("Settings"):
        cols = st.columns(3)
        budget = cols[0].number_input("Alignment budget per variant (s)", 0.1, 600.0, 10.0, key="cf_budget")
        total = cols[1].number_input(
            "Total alignment budget (s, 0: none)", 0.0, 3600.0, 300.0, key="cf_total"
        )
        cost = cols[2].text_input("Cost attribute", "cost", key="cf_cost")
    return cs.settings_json(float(budget), float(total) or None, cost)


def _metrics(conf: an.Conformance) -> None:
    cols = st.columns(5)
    cols[0].metric(
        "Alignment fitness", f"{conf.alignment_fitness:.3f}", help="pm4py's alignment-based log fitness"
    )
    cols[1].metric("Token fitness", f"{conf.token_fitness:.3f}", help="pm4py's token-replay log fitness")
    cols[2].metric("Precision", f"{conf.precision:.3f}", help="ETC precision (token based)")
    cols[3].metric(
        "Fitting cases", f"{conf.perc_fit_cases:.1f}%", help=f"{conf.fit_cases:,} of {conf.cases:,} cases"
    )
    cols[4].metric("Cases", f"{conf.cases:,}")
    hits = conf.budget_hits
    if hits.variants:
        st.warning(
            f"Alignment ran out of time for {hits.variants:,} variants ({hits.cases:,} cases; budget "
            f"{hits.budget_s:g} s per variant, {hits.total_budget_s or 'no'} s in total): they are judged by "
            "token replay and left out of the alignment fitness. Raise the budgets under Settings."
        )


def _deviations(ex: Explorer, conf: an.Conformance, key: str, settings: str) -> None:
    table = cs.deviations_frame(conf)
    st.dataframe(table, hide_index=True, key="cf_deviations")
    st.caption(
        "skipped: the model requires it, the case lacks it · inserted: the case has it where the model does "
        "not allow it · wrong order: both, i.e. done at another place · replay: found by token replay where "
        "alignment ran out of time"
    )
    st.download_button(
        "Deviations as CSV", _csv(table), f"{ex.info.name}-deviations.csv", "text/csv", key="cf_dl_deviations"
    )
    if conf.deviations_by_activity:
        devs = conf.deviations_by_activity
        pick = st.selectbox(
            "Cases with deviation",
            range(len(devs)),
            format_func=lambda i: f"{devs[i].activity} - {cs.KINDS[devs[i].kind]} ({devs[i].cases:,} cases)",
            key="cf_drill",
        )
        d = devs[pick]
        ids = cs.variants_with(conf, d.activity, d.kind)
        cases = cs.cases_of_variants(ex.keys, ex.spec_json, ids, 200)
        st.caption(
            f"{cases.total:,} cases in {len(ids):,} variants; the first {len(cases.cases):,} by case id:"
        )
        st.dataframe(cs.cases_frame(cases), hide_index=True, key="cf_drill_cases")
    _groups(ex, conf)
    st.subheader("Conformance over time")
    period = st.radio("Period", ["week", "month"], key="cf_period", horizontal=True)
    frame = cs.over_time(ex.keys, ex.spec_json, key, settings, period).to_frame()
    frame["fitting %"] = 100 * frame["share"]
    fig = px.line(frame, x="period_start", y="fitting %", markers=True, hover_data=["cases", "fit_cases"])
    fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 10, "b": 10}, yaxis_range=[0, 101])
    st.plotly_chart(fig, key="cf_over_time")


def _all_deviating(ex: Explorer, ids: tuple[int, ...]) -> bytes:
    return _csv(cs.cases_frame(cs.cases_of_variants(ex.keys, ex.spec_json, ids, None)))


def _groups(ex: Explorer, conf: an.Conformance) -> None:
    st.subheader("Deviating vs conforming cases")
    st.dataframe(cs.groups_frame(conf), hide_index=True, key="cf_groups")
    ids = tuple(v.variant_id for v in conf.variants if not v.fits)
    if ids:
        data = partial(_all_deviating, ex, ids)  # fetched only when clicked
        st.download_button(
            "Deviating cases as CSV",
            data,
            f"{ex.info.name}-deviating-cases.csv",
            "text/csv",
            key="cf_dl_cases",
        )


def _overlay(ex: Explorer, key: str) -> None:
    result = cs.overlay(ex.keys, ex.spec_json, key)
    measures = edge_measures(ex.keys, ex.spec_json)
    default = 100 if len(measures.edges) <= 150 else 20
    paths = st.slider("Conforming paths %", 0, 100, default, step=5, key="cf_paths")
    view = cmap.overlay_view(result, measures, paths_pct=paths)
    layout = map_layout(*ex.keys)
    st.markdown(
        " · ".join(
            f":{c}[━━] {t}" for c, t in zip(("gray", "red", "green"), cmap.LEGEND.values(), strict=True)
        )
    )
    st.graphviz_chart(cmap.to_dot(view, layout), width="content")
    counts = {s: len(result.edges_with(s)) for s in cmap.LEGEND}  # type: ignore[arg-type]
    st.caption(
        f"{counts['conforming']} conforming, {counts['not_allowed']} not allowed and {counts['never_taken']} "
        f"never-taken edges ({view.hidden_never_taken} never-taken edges touch activities not on the map)"
    )
    st.markdown(
        f"**Log activities the model does not know:** {', '.join(result.unknown_activities) or 'none'}"
    )
    st.markdown(
        f"**Model activities never seen in the log:** {', '.join(result.unseen_activities) or 'none'}"
    )
    svg = cmap.to_svg(view, layout, title=f"{ex.info.name} vs {result.model_name}")
    st.download_button("Overlay as SVG", svg, f"{ex.info.name}-overlay.svg", "image/svg+xml", key="cf_dl_svg")


def _calendar() -> str:
    mode = st.radio(
        "Measure SLA time in", ["calendar time (24/7)", "working hours"], key="cf_cal", horizontal=True
    )
    if mode.startswith("calendar"):
        return "{}"
    cols = st.columns(4)
    zone = cols[0].text_input("Time zone", "UTC", key="cf_zone")
    start = cols[1].text_input("From (HH:MM)", "09:00", key="cf_from")
    end = cols[2].text_input("To (HH:MM)", "17:00", key="cf_to")
    days = cols[3].multiselect("Weekdays", cs.WEEKDAYS, default=cs.WEEKDAYS[:5], key="cf_days")
    holidays = st.text_input("Holidays (YYYY-MM-DD, comma-separated)", "", key="cf_holidays")
    return cs.calendar_json(zone, start, end, days, holidays)


def _sla_block(ex: Explorer, i: int, r: an.SlaResult) -> None:
    t = r.timer
    stop = "work starts" if t.until == "start" else "it is completed"
    st.markdown(
        f"**{t.task}** within {format_duration(t.duration.total_seconds() * 1e6)} (from the completion of "
        f"{t.start_after or 'the preceding step'} until {stop}); escalation: {', '.join(t.escalation) or 'none'}"
    )
    values = {
        "Measured cases": f"{r.cases:,}",
        "Breached": f"{r.breach_cases:,}",
        "Breached and escalated": f"{r.breached_and_escalated:,}",
        "Breached, nobody escalated": f"{r.breached_not_escalated:,}",
        "False alarms": f"{r.escalated_without_breach:,}",
        "Open overdue": f"{r.open_overdue_cases:,}",
        "Median elapsed": format_duration(r.elapsed.median_us),
        "P90 elapsed": format_duration(r.elapsed.p90_us),
    }
    for row in (list(values.items())[:4], list(values.items())[4:]):
        for col, (label, value) in zip(st.columns(4), row, strict=True):
            col.metric(label, value)
    st.caption(
        f"{r.breach_share:.1%} of measured cases breached · {r.breached_escalated_late:,} escalated only after the "
        f"clock stopped · {r.open_cases:,} still waiting · {r.not_activated:,} occurrences without activation"
    )
    st.download_button(
        "SLA details as CSV",
        _csv(r.cases_frame()),
        f"{ex.info.name}-sla-{t.id}.csv",
        "text/csv",
        key=f"cf_dl_sla_{i}",
    )


def _orchestration(ex: Explorer, key: str, model: TargetModel) -> None:
    st.subheader("SLA timers")
    if not model.timers:
        st.info("The model states no SLA timers.")
    else:
        calendar = _calendar()
        try:
            report = cs.sla(ex.keys, ex.spec_json, key, calendar)
        except BatonError as exc:
            st.error(f"Cannot check the SLA timers: {exc}")
        else:
            for i, r in enumerate(report.results):
                _sla_block(ex, i, r)
    if model.four_eyes or model.retries:
        try:
            four_eyes, retries = cs.rules(ex.keys, ex.spec_json, key)
        except BatonError as exc:
            st.error(f"Cannot check the model's rules: {exc}")
            four_eyes, retries = an.FourEyesReport(()), an.RetryReport(())
        if model.four_eyes and four_eyes.results:
            st.subheader("Four-eyes rules")
            st.dataframe(four_eyes.to_frame(), hide_index=True, key="cf_four_eyes")
            for rule in four_eyes.results:
                found = ", ".join(f"{case} ({who})" for case, who in rule.examples) or "none"
                st.caption(f"{rule.rule.first} / {rule.rule.second} done by one person, e.g.: {found}")
        if model.retries and retries.results:
            st.subheader("Retry limits")
            st.dataframe(retries.to_frame(), hide_index=True, key="cf_retries")
    _human_system(ex, key)


def _human_system(ex: Explorer, key: str) -> None:
    st.subheader("Human vs system time")
    times = cs.human_system(ex.keys, ex.spec_json, key)
    st.dataframe(
        cs.durations_frame(times.owner_frame(), ["owner_type", "events"]),
        hide_index=True,
        key="cf_owner_times",
    )
    st.caption("Waiting: from the previous event's completion to the start; processing: start to completion.")
    handoffs = times.handoff_frame()
    if not handoffs.empty:
        st.markdown("**Handoffs** (waiting before the receiving step)")
        st.dataframe(
            cs.durations_frame(handoffs, ["source", "target", "count"]), hide_index=True, key="cf_handoffs"
        )
    with st.expander("Per activity"):
        frame = cs.durations_frame(times.to_frame(), ["activity", "owner", "events"])
        st.dataframe(frame, hide_index=True, key="cf_activity_times")


st.title("Conformance")
ex = explorer_or_stop()
stop_if_spark(ex.keys, "Conformance checking")
model_key = _choose_model(ex)
model = _model_or_stop(ex, model_key)
_model_info(ex, model_key, model)
settings = _settings()
try:
    conf = cs.conformance(ex.keys, ex.spec_json, model_key, settings)
except BatonError as exc:
    st.error(f"Cannot check conformance against this model: {exc}")
    st.stop()
_metrics(conf)
tabs = st.tabs(["Deviations", "Overlay map", "Orchestration checks", "Variants", "Target model"])
with tabs[0]:
    _deviations(ex, conf, model_key, settings)
with tabs[1]:
    _overlay(ex, model_key)
with tabs[3]:
    variants = conf.to_frame()
    st.dataframe(variants, hide_index=True, key="cf_variants")
    st.download_button(
        "Variants as CSV", _csv(variants), f"{ex.info.name}-variants.csv", "text/csv", key="cf_dl_variants"
    )
with tabs[4]:
    _diagram(ex, model_key)
with tabs[2]:  # drawn last, so an error in one check leaves the other tabs drawn
    _orchestration(ex, model_key, model)
