"""PNML import (real ProM/pm4py files, hostile XML) and the reachability footprint on hand-built nets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from baton.errors import ModelError, UnsafeSourceError
from baton.models.footprint import allowed_edges
from baton.models.pnml import read_pnml
from baton.models.types import PetriNetSpec


def net(arcs: str, labels: dict[str, str | None], *, initial: str = "i", final: str = "o") -> PetriNetSpec:
    """A net from ``p>t`` / ``t>p`` arc shorthand; transitions are the keys of ``labels``."""
    pairs = [tuple(a.split(">")) for a in arcs.split()]
    places = sorted({x for pair in pairs for x in pair} - set(labels))
    return PetriNetSpec(
        places=tuple(places),
        transitions=tuple(labels.items()),
        arcs=tuple((a, b) for a, b in pairs),
        initial_marking=((initial, 1),),
        final_marking=((final, 1),),
    )


# ---- footprint on hand-built nets -----------------------------------------------------------------


def test_sequence() -> None:
    """a; b; c allows exactly a->b, b->c, starts with a and ends with c."""
    n = net("i>a a>p p>b b>q q>c c>o", {"a": "A", "b": "B", "c": "C"})
    assert allowed_edges(n) == ({("A", "B"), ("B", "C")}, {"A"}, {"C"})


def test_xor_choice() -> None:
    """Two transitions sharing an input place: either follows a, and either may end."""
    n = net("i>a a>p p>b p>c b>o c>o", {"a": "A", "b": "B", "c": "C"})
    assert allowed_edges(n) == ({("A", "B"), ("A", "C")}, {"A"}, {"B", "C"})


def test_and_gives_both_interleavings() -> None:
    """A silent AND split/join around b and c allows b->c and c->b; d follows either."""
    arcs = "i>s s>p1 s>p2 p1>b p2>c b>q1 c>q2 q1>j q2>j j>r r>d d>o"
    n = net(arcs, {"s": None, "b": "B", "c": "C", "j": None, "d": "D"})
    assert allowed_edges(n) == ({("B", "C"), ("C", "B"), ("B", "D"), ("C", "D")}, {"B", "C"}, {"D"})


def test_loop() -> None:
    """A silent redo loop lets b repeat and be followed by itself."""
    n = net("i>a a>p p>b b>q q>back back>p q>c c>o", {"a": "A", "b": "B", "back": None, "c": "C"})
    assert allowed_edges(n) == ({("A", "B"), ("B", "B"), ("B", "C")}, {"A"}, {"C"})


def test_silent_skip() -> None:
    """A silent skip of b allows a->c directly, and a lone silent path makes c a possible start."""
    n = net("i>a a>p p>b b>q p>skip skip>q q>c c>o", {"a": "A", "b": "B", "skip": None, "c": "C"})
    assert allowed_edges(n) == ({("A", "B"), ("B", "C"), ("A", "C")}, {"A"}, {"C"})
    n = net("i>a a>p i>t t>p p>c c>o", {"a": "A", "t": None, "c": "C"})
    assert allowed_edges(n) == ({("A", "C")}, {"A", "C"}, {"C"})


def test_unbounded_net_is_refused() -> None:
    """A transition that keeps adding tokens makes the footprint refuse the net as unbounded."""
    n = net("i>a a>i a>p p>b b>o", {"a": "A", "b": "B"})
    with pytest.raises(ModelError, match="place 'p' gets more than 3 tokens"):
        allowed_edges(n)


def test_choice_of_120_transitions_is_fast() -> None:
    """A choice among 60 two-step branches (120 labelled transitions): exact pairs, final place o0 only."""
    arcs = " ".join(f"i>t{k} t{k}>p{k} p{k}>u{k} u{k}>o{k}" for k in range(60))
    labels: dict[str, str | None] = {f"t{k}": f"T{k}" for k in range(60)}
    labels |= {f"u{k}": f"U{k}" for k in range(60)}
    n = net(arcs, labels, final="o0")
    edges, starts, ends = allowed_edges(n)
    assert len(starts) == 60 and edges == {(f"T{k}", f"U{k}") for k in range(60)} and ends == {"U0"}


# ---- PNML files ---------------------------------------------------------------------------------------


def count(path: Path, pattern: str) -> int:
    """Occurrences of a regular expression in the file (a grep -c style hand count)."""
    return len(re.findall(pattern, path.read_text(encoding="latin-1")))


def test_running_example_pnml(shared_data: Path) -> None:
    """running-example.pnml: counts as in the file, $invisible$ transitions silent, finalmarkings used."""
    path = shared_data / "models" / "running-example.pnml"
    m = read_pnml(path)
    assert len(m.net.places) == count(path, r"<place id=") == 9
    assert len(m.net.transitions) == count(path, r"<transition id=") == 10
    assert len(m.net.arcs) == count(path, r"<arc id=") == 22
    silent = count(path, r'activity="\$invisible\$"')
    assert sum(label is None for _, label in m.net.transitions) == silent == 2
    assert m.net.initial_marking == (("n1", 1),) and m.net.final_marking == (("n2", 1),)
    assert m.start_activities == {"register request"}
    assert m.end_activities == {"pay compensation", "reject request"}
    assert ("register request", "check ticket") in m.edges and len(m.edges) == 16
    assert m.notes == () and m.format == "pnml"


def test_roadtraffic_pnml(shared_data: Path) -> None:
    """roadtraffic.pnml: 29 places (the <place idref> in finalmarkings is no place), 34 transitions."""
    path = shared_data / "models" / "roadtraffic.pnml"
    m = read_pnml(path)
    assert len(m.net.places) == count(path, r"<place id=") == 29
    assert len(m.net.transitions) == count(path, r"<transition id=") == 34
    assert len(m.net.arcs) == count(path, r"<arc id=") == 84
    assert len(m.net.labels) == 11 == 34 - count(path, r'activity="\$invisible\$"')
    assert m.net.final_marking == (("sink", 1),) and m.start_activities == {"Create Fine"}
    assert {"Send Fine", "Payment"} <= m.net.labels


def test_missing_final_marking_uses_sink_places(tmp_path: Path) -> None:
    """Without <finalmarkings> the places without outgoing arcs are final (noted); nameless = silent."""
    text = (
        '<pnml><net id="n"><page id="pg"><place id="i"><initialMarking><text>1</text></initialMarking></place>'
        '<place id="m"/><place id="o"/><transition id="a"><name><text>A</text></name></transition>'
        '<transition id="t"/><arc id="1" source="i" target="a"/><arc id="2" source="a" target="m"/>'
        '<arc id="3" source="m" target="t"/><arc id="4" source="t" target="o"/></page></net></pnml>'
    )
    path = tmp_path / "x.pnml"
    path.write_text(text, encoding="utf-8")
    m = read_pnml(path)
    assert m.net.final_marking == (("o", 1),) and m.net.transitions == (("a", "A"), ("t", None))
    assert m.end_activities == {"A"} and [n.element_type for n in m.notes] == ["net"]
    path.write_text(text.replace('source="a" target="m"', 'source="i" target="m"'), encoding="utf-8")
    with pytest.raises(ModelError, match="x.pnml: arc '2' joins 'i' and 'm'; an arc must join a place"):
        read_pnml(path)


def test_pnml_with_dtd_is_refused(tmp_path: Path) -> None:
    """A PNML file declaring a DTD (entity) is refused before it is parsed."""
    path = tmp_path / "evil.pnml"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE pnml [<!ENTITY x "y">]>\n<pnml><net id="n"/></pnml>')
    with pytest.raises(UnsafeSourceError, match="evil.pnml"):
        read_pnml(path)
