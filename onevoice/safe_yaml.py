"""YAML from people, read without letting the text choose how much memory it takes.

Policy packs and playbooks are YAML written by the committee, so they are input, not code. PyYAML's
safe loader still expands aliases: a few hundred bytes of `&a [*a, *a, ...]` become millions of
nodes (a "billion laughs"). This loader refuses aliases outright (no pack or playbook needs them),
and bounds the size, the nesting depth and the number of nodes before anything is built.
"""
from __future__ import annotations

import yaml

MAX_BYTES = 200_000
MAX_DEPTH = 20
MAX_NODES = 20_000


class UnsafeYaml(ValueError):
    """The text is not YAML this application accepts; the message says why in one line."""


class _BoundedLoader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise UnsafeYaml(f"line {mark.line + 1}: YAML aliases (*name) are not accepted")
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise UnsafeYaml(f"more than {MAX_NODES} YAML nodes")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise UnsafeYaml(f"nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _check_size(text: str) -> None:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise UnsafeYaml(f"longer than {MAX_BYTES} bytes")


def _one_line(exc: yaml.YAMLError) -> str:
    return "not valid YAML: " + str(exc).splitlines()[0]


def load(text: str):
    """One YAML document, or UnsafeYaml."""
    _check_size(text)
    loader = _loader(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise UnsafeYaml(_one_line(exc)) from None
    finally:
        loader.dispose()


def _loader(text: str) -> "_BoundedLoader":
    # the reader checks the characters as it is made: a control character is refused there
    try:
        return _BoundedLoader(text)
    except yaml.YAMLError as exc:
        raise UnsafeYaml(_one_line(exc)) from None


def load_all(text: str) -> list:
    """Every document of a YAML stream, or UnsafeYaml; the node budget covers them all."""
    _check_size(text)
    loader = _loader(text)
    try:
        docs = []
        while loader.check_data():
            docs.append(loader.get_data())
        return docs
    except yaml.YAMLError as exc:
        raise UnsafeYaml(_one_line(exc)) from None
    finally:
        loader.dispose()


def dump(data) -> str:
    """Plain YAML (no tags, no aliases), keys in their given order, text kept readable."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
