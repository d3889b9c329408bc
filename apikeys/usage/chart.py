"""The 30-day usage chart on the home page: bar geometry for a server-rendered SVG (no
script, so the CSP stays strict). Pure presentation of apikeys.selectors.key_usage_days."""

from __future__ import annotations

from dataclasses import dataclass

from apikeys.selectors import DayUses

WIDTH, HEIGHT, BAR, GAP = 300, 60, 8, 2  # viewBox units


@dataclass(frozen=True, slots=True)
class Bar:
    day: DayUses
    x: int
    accepted_y: float
    accepted_height: float
    refused_y: float
    refused_height: float


@dataclass(frozen=True, slots=True)
class UsageChart:
    bars: list[Bar]
    accepted: int
    refused: int
    peak: int
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def label(self) -> str:
        days = len(self.bars)
        return (
            f"Uses per day over the last {days} days: {self.accepted} accepted, "
            f"{self.refused} refused; busiest day {self.peak}"
        )


def usage_chart(*, days: list[DayUses]) -> UsageChart:
    """Stacked bars (accepted below, refused above), scaled to the busiest day."""
    peak = max((d.accepted + d.refused for d in days), default=0)
    scale = HEIGHT / peak if peak else 0.0
    bars = []
    for i, day in enumerate(days):
        accepted_height = round(day.accepted * scale, 2)
        refused_height = round(day.refused * scale, 2)
        bars.append(
            Bar(
                day=day,
                x=i * (BAR + GAP),
                accepted_y=round(HEIGHT - accepted_height, 2),
                accepted_height=accepted_height,
                refused_y=round(HEIGHT - accepted_height - refused_height, 2),
                refused_height=refused_height,
            )
        )
    return UsageChart(
        bars=bars,
        accepted=sum(d.accepted for d in days),
        refused=sum(d.refused for d in days),
        peak=peak,
    )
