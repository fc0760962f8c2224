"""Our own assessment instrument, as data in the knowledge base (`instrument.toml`).

An agency that holds a licence for another instrument can substitute its own item mapping here
without code changes. Nothing in the shipped file comes from the NMT Metric. docs/scoring.md says
how the scores, bands and stage estimates are computed; docs/rating-guide.md how to rate.
"""

from __future__ import annotations

from functools import cached_property

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dsl.errors import Diagnostic, GroundworkError, read_utf8

ADULT_MONTHS = 18 * 12


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScalePoint(_Data):
    value: int = Field(title="Value", description="The rating value", ge=0, le=9)
    label: str = Field(title="Label", description="What this value means, relative to age")
    credit: float | None = Field(
        None, title="Stage credit", ge=0, le=1,
        description="How much of the function counts as established at this rating, for the "
                    "functional stage estimate (1 = in place, 0 = absent); default: 1 at or "
                    "below `established_at_or_below`, else 0")


class AgeBand(_Data):
    name: str = Field(title="Age band", description="Name of the age band, e.g. 'school age'")
    from_months: int = Field(title="From", ge=0, le=1500, description="First month of age in the band")
    anchors: tuple[str, ...] = Field(
        title="Anchors", description="What each rating point looks like at this age, in scale order")


class Referral(_Data):
    id: str = Field(title="Referral id", pattern=r"^[a-z][a-z0-9_]*$",
                    description="Stable id, e.g. paediatrics; rules test `referrals has ID`")
    name: str = Field(title="Referral", description="To whom, in plain words")


class Item(_Data):
    id: str = Field(title="Item id", description="Stable kebab-case id", pattern=r"^[a-z][a-z0-9-]*$")
    text: str = Field(title="Function", description="The function rated, in our own words")
    region: str = Field(title="Region", description="Declared region the item loads on")
    domain: str = Field(title="Domain", description="Declared domain the item belongs to")
    typical_from_months: int = Field(
        title="Typically established by", ge=0, le=300,
        description="Age in months by which this function is typically established; used by "
                    "the functional stage estimate")
    rated_from_months: int = Field(
        0, title="Rated from", ge=0, le=1500,
        description="Youngest age (months) at which the item is rated; younger, it is not due")
    rated_until_months: int | None = Field(
        None, title="Rated until", ge=0, le=1500,
        description="Oldest age (months) at which the item is rated; older, it is not due "
                    "(none: rated into adulthood)")
    referral: str | None = Field(
        None, title="Referral",
        description="A referral offered when this item is rated severely below typical")
    source: str | None = Field(
        None, title="Developmental source",
        description="Public developmental source for the typical-from age")

    def due_at(self, age_months: int) -> bool:
        """Whether the item is rated at this age (otherwise it is not due)."""
        return self.rated_from_months <= age_months and (
            self.rated_until_months is None or age_months <= self.rated_until_months)


class Instrument(_Data):
    name: str = Field(title="Name", description="Name of the instrument")
    version: str = Field(title="Version", description="Version of the item set")
    scale: tuple[ScalePoint, ...] = Field(title="Rating scale",
                                          description="Ordered rating values, typical first")
    min_known_fraction: float = Field(
        title="Minimum known fraction", ge=0, le=1,
        description="A region or domain with fewer known ratings than this fraction of its due "
                    "items is banded 'insufficient'")
    min_known_items: int = Field(title="Minimum known items", ge=1, le=1000,
                                 description="And never fewer known ratings than this")
    established_at_or_below: int = Field(
        1, title="Established at or below", ge=0, le=9,
        description="Default stage credit: a rating at or below this value counts as the function "
                    "being established (used only for scale points without a `credit`)")
    borderline_margin: float = Field(
        0.0, title="Borderline margin", ge=0, le=1,
        description="A score closer than this to a band edge is marked borderline (0: never)")
    disagreement_points: int = Field(
        2, title="Informant disagreement", ge=1, le=9,
        description="Two informants whose ratings of one item differ by at least this many "
                    "points raise a flag to reconcile them")
    self_report_from_months: int = Field(
        0, title="Self-report from", ge=0, le=1500,
        description="Youngest age at which a self-report alone is accepted for an item")
    age_bands: tuple[AgeBand, ...] = Field(
        (), title="Age bands", description="Bands of age with their own rating anchors, youngest first")
    referrals: tuple[Referral, ...] = Field((), title="Referrals",
                                            description="Referrals items may carry")
    items: tuple[Item, ...] = Field(title="Items", description="The functions rated")

    @model_validator(mode="after")
    def _consistent(self) -> "Instrument":
        known = {r.id for r in self.referrals}
        for index, item in enumerate(self.items):
            if item.referral is not None and item.referral not in known:
                raise ValueError(f"items[{index}].referral: unknown referral '{item.referral}'; "
                                 "declare it under [[referrals]]")
            if item.rated_until_months is not None and item.rated_until_months < item.rated_from_months:
                raise ValueError(f"items[{index}]: rated_until_months is before rated_from_months")
        for band in self.age_bands:
            if len(band.anchors) != len(self.scale):
                raise ValueError(f"age band '{band.name}' needs one anchor per scale point "
                                 f"({len(self.scale)})")
        return self

    # Asked for per rating of every assessment: worked out once per instrument (an instrument
    # never changes once loaded; pydantic keeps cached properties out of the fields).
    @cached_property
    def max_value(self) -> int:
        return max(point.value for point in self.scale)

    @cached_property
    def _items_by_id(self) -> dict[str, Item]:
        return {i.id: i for i in self.items}

    def item(self, item_id: str) -> Item | None:
        return self._items_by_id.get(item_id)

    def credit(self, value: int) -> float:
        """Stage credit of a rating value (docs/scoring.md)."""
        found = self._credits.get(value)
        if found is not None:
            return found
        return 1.0 if value <= self.established_at_or_below else 0.0

    @cached_property
    def _credits(self) -> dict[int, float]:
        return {p.value: p.credit for p in self.scale if p.credit is not None}

    def referral(self, referral_id: str) -> Referral | None:
        return next((r for r in self.referrals if r.id == referral_id), None)

    def age_band(self, age_months: int) -> AgeBand | None:
        found = None
        for band in self.age_bands:
            if age_months >= band.from_months:
                found = band
        return found

    def due_items(self, age_months: int) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.due_at(age_months))


def load_instrument(path: Path, display_path: str) -> Instrument:
    try:
        data = tomllib.loads(read_utf8(path, display_path, "E170"))
    except FileNotFoundError:
        raise GroundworkError([Diagnostic("E170", "the knowledge base has no instrument.toml",
                                          display_path)]) from None
    except tomllib.TOMLDecodeError as error:
        raise GroundworkError([Diagnostic("E170", f"malformed TOML: {error}", display_path)]) from None
    except (ValueError, RecursionError) as error:
        # tomllib's own int() of a number thousands of digits long, or arrays nested ~1,000 deep
        reason = "nested too deeply" if isinstance(error, RecursionError) else "a number too long"
        raise GroundworkError([Diagnostic("E170", f"malformed TOML: {reason}", display_path)]) from None
    try:
        return Instrument.model_validate(data)
    except ValidationError as error:
        raise GroundworkError([
            Diagnostic("E170", e["msg"].removeprefix("Value error, "), display_path,
                       field_path=".".join(str(p) for p in e["loc"]) or None)
            for e in error.errors()
        ]) from None
