"""Our own assessment instrument, as data in the knowledge base (`instrument.toml`).

An agency that holds a licence for another instrument can substitute its own item mapping here
without code changes. Nothing in the shipped file comes from the NMT Metric.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dsl.errors import Diagnostic, GroundworkError


class ScalePoint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    value: int = Field(title="Value", description="The rating value", ge=0)
    label: str = Field(title="Label", description="What this value means, relative to age")


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(title="Item id", description="Stable kebab-case id", pattern=r"^[a-z][a-z0-9-]*$")
    text: str = Field(title="Function", description="The function rated, in our own words")
    region: str = Field(title="Region", description="Declared region the item loads on")
    domain: str = Field(title="Domain", description="Declared domain the item belongs to")
    typical_from_months: int = Field(
        title="Typically established by", ge=0, le=300,
        description="Age in months by which this function is typically established; used by "
                    "the developmental-age estimate")


class Instrument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(title="Name", description="Name of the instrument")
    version: str = Field(title="Version", description="Version of the item set")
    scale: tuple[ScalePoint, ...] = Field(title="Rating scale",
                                          description="Ordered rating values, typical first")
    min_known_fraction: float = Field(
        title="Minimum known fraction", ge=0, le=1,
        description="A region or domain with fewer known ratings than this fraction of its items "
                    "is banded 'insufficient'")
    min_known_items: int = Field(title="Minimum known items", ge=1,
                                 description="And never fewer known ratings than this")
    established_at_or_below: int = Field(
        title="Established at or below", ge=0,
        description="A rating at or below this value counts as the function being established "
                    "(present, at least with support) for the developmental-age estimate")
    items: tuple[Item, ...] = Field(title="Items", description="The functions rated")

    @property
    def max_value(self) -> int:
        return max(point.value for point in self.scale)

    def item(self, item_id: str) -> Item | None:
        return {i.id: i for i in self.items}.get(item_id)


def load_instrument(path: Path, display_path: str) -> Instrument:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GroundworkError([Diagnostic("E170", "the knowledge base has no instrument.toml",
                                          display_path)]) from None
    except tomllib.TOMLDecodeError as error:
        raise GroundworkError([Diagnostic("E170", f"malformed TOML: {error}", display_path)]) from None
    try:
        return Instrument.model_validate(data)
    except ValidationError as error:
        raise GroundworkError([
            Diagnostic("E170", e["msg"], display_path,
                       field_path=".".join(str(p) for p in e["loc"]))
            for e in error.errors()
        ]) from None
