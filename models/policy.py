"""The policy tree as validated data (loaded from ``scoring/policy.yaml``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class PolicyFileError(ValueError):
    """The policy data file is malformed; the message names the file and the node."""


class Rule(BaseModel):
    """How a leaf is decided: a registered predicate name plus its options."""

    model_config = ConfigDict(frozen=True, extra="allow")

    predicate: str

    @property
    def options(self) -> dict[str, Any]:
        """The predicate's options (every key but ``predicate``)."""
        return dict(self.model_extra or {})


class Node(BaseModel):
    """One criterion: an inner ALL/ANY node with children, or a leaf with a rule."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    text: str
    op: Literal["ALL", "ANY"] | None = None
    children: tuple[Node, ...] = ()
    rule: Rule | None = None
    region: Literal["cervical", "thoracic", "lumbar"] | None = None
    in_play: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _leaf_or_inner(self) -> Node:
        if self.children and self.rule is not None:
            raise ValueError(f"node {self.id}: has both children and a rule; give one")
        if self.children and self.op is None:
            raise ValueError(f"node {self.id}: has children but no op; use op: ALL or op: ANY")
        if not self.children and self.rule is None:
            raise ValueError(
                f"node {self.id}: a leaf needs a rule, "
                "e.g. rule: {predicate: fact, kinds: [gout]}"
            )
        if not self.children and self.op is not None:
            raise ValueError(f"node {self.id}: op {self.op} given but the node has no children")
        return self

    def walk(self):
        """This node and all its descendants, in outline (pre-)order."""
        yield self
        for child in self.children:
            yield from child.walk()


class PolicyNote(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    kinds: tuple[str, ...] = ()
    pediatric: bool = False


class Policy(BaseModel):
    """The whole policy: indications, non-indications and the notes it surfaces."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: dict[str, str]
    notes: dict[str, PolicyNote] = Field(default_factory=dict)
    indications: tuple[Node, ...]
    non_indications: tuple[Node, ...]

    @model_validator(mode="after")
    def _ids_unique_and_in_play_known(self) -> Policy:
        seen: set[str] = set()
        for node in self.walk():
            if node.id in seen:
                raise ValueError(f"node id {node.id} appears twice")
            seen.add(node.id)
        for top in self.indications:
            for ref in top.in_play:
                if ref not in seen:
                    raise ValueError(f"node {top.id}: in_play names unknown node {ref}")
        return self

    def tops(self) -> tuple[Node, ...]:
        """Indications then non-indications."""
        return self.indications + self.non_indications

    def walk(self):
        """Every node in outline order."""
        for top in self.tops():
            yield from top.walk()

    def node(self, node_id: str) -> Node:
        """A node by id."""
        for node in self.walk():
            if node.id == node_id:
                return node
        raise KeyError(node_id)


Node.model_rebuild()
