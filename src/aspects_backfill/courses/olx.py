"""Parse a course export's OLX into the published block tree plus its detached blocks.

Follows what edx-platform's XML import does with the same files, so the tree equals the one
the LMS serves after importing the export: pointer tags (``<vertical url_name="x"/>``) load
``vertical/x.xml`` (``:`` in a name is a sub-directory), other elements are inline blocks,
``policies/RUN/policy.json`` overrides attributes, ``drafts/`` is ignored (the published
tree only), ``about/``, ``info/`` and ``tabs/`` hold the detached blocks. XML is parsed
with defusedxml: no DTD, no entity expansion, no network.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, ParseError, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ..errors import BackfillError
from .archive import Export

# Block types whose XML child elements are child blocks (everything else is a leaf whose
# children are its own markup: a problem's responses, a video's sources, ORA rubrics...).
CONTAINER_TYPES = frozenset(
    {
        "course",
        "chapter",
        "sequential",
        "vertical",
        "videosequence",
        "problemset",
        "split_test",
        "conditional",
        "library_content",
        "itembank",
        "randomize",
        "wrapper",
        "unit",
    }
)
# Child elements that are settings, not blocks, per container type.
NON_BLOCK_CHILDREN = {"course": {"wiki", "textbook"}, "conditional": {"show"}}
# edx-platform names unnamed blocks of these types after a content hash, and renames reuses.
NEED_UNIQUE_NAMES = frozenset(
    {"problem", "sequential", "video", "course", "chapter", "poll_question", "vertical"}
)
# (category, directory) of the detached blocks, in edx-platform's load order.
DETACHED_DIRS = (("course_info", "info"), ("static_tab", "tabs"), ("about", "about"))
ASIDE_FAMILY = "xblock_asides.v1"
_INVALID_NAME_CHARS = re.compile(r"[^\w.%-]", re.UNICODE)


class OlxError(BackfillError):
    """Malformed OLX, naming the file at fault."""


@dataclass
class Block:
    """One block: its type, id, own settings (attributes then policy) and children in order."""

    block_type: str
    block_id: str
    settings: dict[str, Any]
    path: str
    children: list[Block] = field(default_factory=list)
    detached: bool = False


@dataclass
class Course:
    org: str
    course: str
    run: str
    root: Block
    detached: list[Block]
    policy: dict[str, Any]
    grading_policy: dict[str, Any]
    about: dict[str, str]
    export_time: float
    source: str


def parse_xml(export: Export, path: str) -> Element:
    data = export.read(path)
    if data is None:
        raise OlxError(f"{export.source}: {path} is missing")
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise OlxError(
            f"{export.source}: {path}: refused: {type(exc).__name__} (DTDs and entities are not allowed)"
        ) from exc
    except ParseError as exc:
        raise OlxError(f"{export.source}: {path}: bad XML: {exc}") from exc


def load_json(export: Export, path: str) -> Any:
    data = export.read(path)
    if data is None:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise OlxError(f"{export.source}: {path}: bad JSON: {exc}") from exc


def is_pointer(node: Element) -> bool:
    """``<tag url_name="x"/>``: no children, no text, only url_name (course: also org, course)."""
    expected = {"url_name", "course", "org"} if node.tag == "course" else {"url_name"}
    return len(node) == 0 and set(node.attrib) == expected and not (node.text or "").strip()


def clean_name(value: str) -> str:
    """A legacy ``name``/``display_name`` made into an id, as edx's Location.clean does."""
    return re.sub("_+", "_", _INVALID_NAME_CHARS.sub("_", value))


def pointer_bytes(node: Element) -> bytes:
    """How lxml serializes a pointer tag: the bytes edx-platform hashes for fallback names."""
    attrs = "".join(
        ' {}="{}"'.format(k, v.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;"))
        for k, v in node.attrib.items()
    )
    return f"<{node.tag}{attrs}/>".encode()


class _Loader:
    def __init__(self, export: Export, policy: dict[str, Any]) -> None:
        self.export = export
        self.policy = policy
        self.used_names: dict[str, set[str]] = {}

    def error(self, path: str, message: str) -> OlxError:
        return OlxError(f"{self.export.source}: {path}: {message}")

    def unique_name(self, node: Element, path: str) -> str:
        """edx-platform's make_name_unique: url_name, slug, name, display_name, else a hash."""
        tag = node.tag
        name = None
        for key, cleaner in (
            ("url_name", None),
            ("slug", None),
            ("name", clean_name),
            ("display_name", clean_name),
        ):
            if key in node.attrib:
                name = node.attrib[key]
                name = cleaner(name) if cleaner else name
                break
        raw = pointer_bytes(node) if is_pointer(node) else tostring(node)

        def fallback(orig: str | None) -> str:
            if orig and orig.startswith(tag) and re.search("[0-9a-fA-F]{12}$", orig):
                orig = orig[len(tag) + 1 : -12]
            middle = "_" + orig if orig else ""
            return f"{tag}{middle}_{hashlib.sha1(raw).hexdigest()[:12]}"

        if not name:
            name = fallback(None)
        used = self.used_names.setdefault(tag, set())
        if name in used and tag in NEED_UNIQUE_NAMES:
            name = fallback(name)
        used.add(name)
        return name

    def block(self, node: Element, path: str, depth: int = 0) -> Block:
        if depth > 100:
            raise self.error(path, "the block tree is more than 100 levels deep (a pointer cycle?)")
        tag = node.tag
        if not isinstance(tag, str) or tag.startswith("{"):
            raise self.error(path, f"unexpected element {tag!r}")
        block_id = self.unique_name(node, path)
        attrs = dict(node.attrib)
        definition, def_path = node, path
        if is_pointer(node):
            def_path = f"{tag}/{node.attrib['url_name'].replace(':', '/')}.xml"
            if self.export.read(def_path) is None:
                raise self.error(
                    path,
                    f'<{tag} url_name="{node.attrib["url_name"]}"> points to {def_path}, which is missing',
                )
            definition = parse_xml(self.export, def_path)
            attrs = {**definition.attrib, **attrs}
        elif tag in CONTAINER_TYPES and "filename" in node.attrib:
            legacy = f"{tag}/{node.attrib['filename']}.xml"
            if self.export.read(legacy) is not None:
                definition, def_path = parse_xml(self.export, legacy), legacy
                attrs = {**definition.attrib, **attrs}
        settings = {k: v for k, v in attrs.items() if k not in ("url_name", "slug", "filename")}
        settings.update(self.policy.get(f"{tag}/{block_id}", {}) or {})
        block = Block(tag, block_id, settings, def_path)
        if tag in CONTAINER_TYPES:
            skip = NON_BLOCK_CHILDREN.get(tag, set()) | {"meta"}
            for child in definition:
                if not isinstance(child.tag, str) or child.tag in skip or child.tag.startswith("{"):
                    continue
                if child.get("xblock-family") == ASIDE_FAMILY:
                    continue
                block.children.append(self.block(child, def_path, depth + 1))
        return block


def _course_pointer(export: Export) -> tuple[Element, str, str, str]:
    root = parse_xml(export, "course.xml")
    if root.tag != "course":
        raise OlxError(f"{export.source}: course.xml: the root element is <{root.tag}>, not <course>")
    run = root.get("url_name") or root.get("slug")
    missing = [
        a for a, v in (("org", root.get("org")), ("course", root.get("course")), ("url_name", run)) if not v
    ]
    if missing:
        raise OlxError(f"{export.source}: course.xml: <course> lacks {', '.join(missing)}")
    return root, root.get("org", ""), root.get("course", ""), run or ""


def _detached(export: Export, run: str, tabs: list[dict[str, Any]]) -> tuple[list[Block], dict[str, str]]:
    """The blocks edx-platform loads from about/, info/, tabs/ (and their RUN/ override dirs)."""
    blocks: dict[tuple[str, str], Block] = {}
    about: dict[str, str] = {}
    for category, directory in DETACHED_DIRS:
        for folder in (directory, f"{directory}/{run}"):
            for path in export.names_under(folder):
                name = posixpath.basename(path)
                if name.startswith(".") or name.endswith("~"):
                    continue
                if ".json" in name:
                    parts = name.split(".")
                    if len(parts) != 3 or parts[2] != "json" or parts[1] in ("data", "metadata"):
                        continue
                    slug = parts[0]
                else:
                    slug = posixpath.splitext(name)[0]
                    if category == "about":
                        about[slug] = export.files[path].decode("utf-8", errors="replace")
                key = (category, slug)
                if key not in blocks:
                    blocks[key] = Block(
                        category, slug, _detached_settings(category, slug, tabs), path, detached=True
                    )
    return list(blocks.values()), about


def _detached_settings(category: str, slug: str, tabs: list[dict[str, Any]]) -> dict[str, Any]:
    if category != "static_tab":
        return {}
    for tab in tabs:
        if isinstance(tab, dict) and tab.get("type") == "static_tab" and tab.get("url_slug") == slug:
            return {"display_name": tab.get("name")}
    return {}


def parse_course(export: Export) -> Course:
    """The course, its published tree (DFS order = XML order) and detached blocks."""
    pointer, org, course, run = _course_pointer(export)
    policy = load_json(export, f"policies/{run}/policy.json")
    if policy is None:
        policy = load_json(export, f"policies/{run}.json")
    if policy is None:
        policy = {}
    if not isinstance(policy, dict):
        raise OlxError(f"{export.source}: policies/{run}/policy.json: not a JSON object")
    grading = load_json(export, f"policies/{run}/grading_policy.json")
    if grading is None:
        grading = load_json(export, "grading_policy.json")
    if grading is not None and not isinstance(grading, dict):
        raise OlxError(f"{export.source}: policies/{run}/grading_policy.json: not a JSON object")
    loader = _Loader(export, policy)
    root = loader.block(pointer, "course.xml")
    if root.block_type != "course":
        raise OlxError(f"{export.source}: course.xml: the course definition is not a <course>")
    tabs = (policy.get(f"course/{run}") or {}).get("tabs") or []
    detached, about = _detached(export, run, tabs if isinstance(tabs, list) else [])
    export_time = max(export.mtimes.values(), default=0.0)
    return Course(org, course, run, root, detached, policy, grading or {}, about, export_time, export.source)
