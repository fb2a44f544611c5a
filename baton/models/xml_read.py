"""Safe XML reading helpers shared by the BPMN and PNML readers: parse, split tags, normalise text."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from baton.errors import MalformedSourceError, SourceNotFoundError
from connectors.xmlsafety import reject_dtd


def parse_xml(path: str | Path) -> etree._Element:
    """Parse an XML file after refusing DTDs and entities; lxml never resolves entities or the network.

    Raises:
        SourceNotFoundError: no such file.
        UnsafeSourceError: the file declares a DTD or entities.
        MalformedSourceError: the file is empty, truncated or not well-formed XML.
    """
    source = Path(path)
    if not source.is_file():
        raise SourceNotFoundError(f"{source}: no such file; check the path")
    reject_dtd(source, source_name=source.name)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
    try:
        return etree.parse(str(source), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise MalformedSourceError(
            f"{source.name}: not well-formed XML ({exc}); the file may be truncated - re-export it"
        ) from exc


def local(element: etree._Element) -> tuple[str, str]:
    """``(namespace, local name)`` of an element ("" for comments and processing instructions)."""
    tag = element.tag
    if not isinstance(tag, str):
        return "", ""
    ns, _, name = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
    return ns, name


def clean(text: str | None) -> str:
    """Whitespace-normalised text (Signavio and MIWG names contain line breaks)."""
    return " ".join((text or "").split())
