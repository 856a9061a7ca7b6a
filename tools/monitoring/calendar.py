"""Holiday calendar: expected volume multipliers for festivals, so their peaks are not alerts.

Production deployments list their own events in the rules file (``calendar:``); the defaults
mirror the demo warehouse (Double-11, 618, Spring Festival). A factor of 1.9 means "expect 1.9x
the normal volume that day"; ``uncertainty`` widens the interval inside the event because the
real effect of a festival varies from year to year.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class HolidayEvent(BaseModel):
    """One recurring event: anchored on a fixed month-day every year or on listed dates."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    every_year: str | None = Field(None, description="MM-DD anchor, e.g. '11-11'.")
    dates: tuple[date, ...] = Field((), description="Anchor dates (moving holidays).")
    days: tuple[int, int] = Field(description="First and last affected day relative to anchor.")
    factor: tuple[float, float] = Field(description="Multiplier on the first and last day.")
    uncertainty: float = Field(0.15, ge=0, le=1, description="Relative sd of the factor.")

    @field_validator("every_year")
    @classmethod
    def _month_day(cls, value: str | None) -> str | None:
        if value is not None:
            month, _, day = value.partition("-")
            date(2000, int(month), int(day))  # raises ValueError on a bad month-day
        return value

    @model_validator(mode="after")
    def _anchored(self) -> HolidayEvent:
        if (self.every_year is None) == (not self.dates):
            raise ValueError("give exactly one of every_year (MM-DD) or dates (a list)")
        if self.days[1] < self.days[0]:
            raise ValueError("days must be [first, last] with first <= last")
        if min(self.factor) <= 0:
            raise ValueError("factor must be positive")
        return self

    def anchors(self, years: Iterable[int]) -> list[date]:
        if self.dates:
            return list(self.dates)
        month, day = (int(p) for p in self.every_year.split("-"))  # type: ignore[union-attr]
        return [date(y, month, day) for y in years]

    def effect(self, day: date) -> tuple[float, float]:
        """(factor, relative sd) of this event on ``day``; (1, 0) outside it."""
        factor, sd = 1.0, 0.0
        for anchor in self.anchors((day.year - 1, day.year, day.year + 1)):
            offset = (day - anchor).days
            if self.days[0] <= offset <= self.days[1]:
                span = max(self.days[1] - self.days[0], 1)
                frac = (offset - self.days[0]) / span
                factor *= self.factor[0] + (self.factor[1] - self.factor[0]) * frac
                sd = max(sd, self.uncertainty)
        return factor, sd


class HolidayCalendar(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    events: tuple[HolidayEvent, ...] = ()

    def day(self, day: date) -> tuple[float, float]:
        """Combined (factor, relative sd) on one day."""
        factor, sd = 1.0, 0.0
        for event in self.events:
            f, s = event.effect(day)
            factor *= f
            sd = max(sd, s)
        return factor, sd

    def period(self, start: date, days: int) -> tuple[float, float]:
        """Mean factor and sd over ``days`` days from ``start`` (a week at weekly grain)."""
        values = [self.day(start + timedelta(days=i)) for i in range(days)]
        return (
            sum(v[0] for v in values) / days,
            sum(v[1] for v in values) / days,
        )

    def names_on(self, start: date, days: int) -> list[str]:
        hits = []
        for event in self.events:
            if any(event.effect(start + timedelta(days=i))[0] != 1.0 for i in range(days)):
                hits.append(event.name)
        return hits


def demo_calendar() -> HolidayCalendar:
    """The demo warehouse's festivals (tools/demo_data/calendar.py), as config would give them."""
    from tools.demo_data.festivals import SPRING_FESTIVAL

    return HolidayCalendar(
        events=(
            HolidayEvent(name="double_11", every_year="11-11", days=(0, 20), factor=(1.9, 1.0)),
            HolidayEvent(name="618", every_year="06-18", days=(0, 17), factor=(1.4, 1.4)),
            HolidayEvent(
                name="spring_festival",
                dates=tuple(SPRING_FESTIVAL.values()),
                days=(-3, 7),
                factor=(0.45, 0.45),
            ),
        )
    )
