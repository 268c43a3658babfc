"""Charts drawn on the server as inline SVG: no script, nothing fetched."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from domain.risk import level_of


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its size, and the figure written on it."""

    label: str
    value: float
    shown: str
    warn: bool = False


def _svg(width: int, height: int, title: str, body: list[Markup]) -> Markup:
    head = Markup(
        '<svg class="chart" viewBox="0 0 {} {}" width="{}" role="img" aria-label="{}">'
    ).format(width, height, width, title)
    return head + Markup("").join(body) + Markup("</svg>")


def columns(bars: list[Bar], title: str, height: int = 180) -> Markup:
    """Vertical bars, one a period (revenue by month)."""
    if not bars:
        return Markup("")
    step = 56
    width = step * len(bars) + 8
    top = max((b.value for b in bars), default=0) or 1.0
    plot = height - 40
    body = []
    for i, bar in enumerate(bars):
        size = max(bar.value, 0) / top * plot
        x, y = 8 + i * step, 16 + plot - size
        body.append(
            Markup(
                '<g><title>{} {}</title><rect class="{}" x="{}" y="{:.1f}" width="{}"'
                ' height="{:.1f}" rx="2"></rect><text class="lbl" x="{}" y="{}">{}</text></g>'
            ).format(
                bar.label, bar.shown, "bar warn" if bar.warn else "bar", x, y, step - 14,
                size, x + (step - 14) / 2, height - 8, bar.label,
            )
        )  # fmt: skip
        body.append(
            Markup('<text class="val" x="{}" y="{:.1f}">{}</text>').format(
                x + (step - 14) / 2, y - 4, bar.shown
            )
        )
    return _svg(width, height, title, body)


def rows(bars: list[Bar], title: str, *, limit: float | None = None) -> Markup:
    """Horizontal bars, one a line (budget burn, SLA compliance); `limit` draws a mark
    where a bar reaches its whole (utilisation 1.0)."""
    if not bars:
        return Markup("")
    line, label_width, plot = 26, 170, 300
    top = max([b.value for b in bars] + [limit or 0]) or 1.0
    body = []
    for i, bar in enumerate(bars):
        y = 6 + i * line
        size = max(bar.value, 0) / top * plot
        body.append(
            Markup(
                '<g><title>{} {}</title><text class="lbl left" x="0" y="{}">{}</text>'
                '<rect class="{}" x="{}" y="{}" width="{:.1f}" height="16" rx="2"></rect>'
                '<text class="val left" x="{:.1f}" y="{}">{}</text></g>'
            ).format(
                bar.label, bar.shown, y + 12, bar.label[:26], "bar warn" if bar.warn else "bar",
                label_width, y, size, label_width + size + 4, y + 12, bar.shown,
            )
        )  # fmt: skip
    if limit:
        x = label_width + limit / top * plot
        body.append(
            Markup('<line class="limit" x1="{:.1f}" x2="{:.1f}" y1="0" y2="{}"></line>').format(
                x, x, len(bars) * line + 4
            )
        )
    return _svg(label_width + plot + 90, len(bars) * line + 8, title, body)


def funnel(stages: list[Bar], title: str) -> Markup:
    """A funnel: one centred band a stage, as wide as its share of the widest."""
    if not stages:
        return Markup("")
    width, band = 480, 34
    top = max(s.value for s in stages) or 1.0
    body = []
    for i, stage in enumerate(stages):
        size = max(stage.value / top * width, 6)
        x, y = (width - size) / 2, i * (band + 4)
        body.append(
            Markup(
                '<g><title>{} {}</title><rect class="band" x="{:.1f}" y="{}" width="{:.1f}"'
                ' height="{}" rx="3"></rect><text class="on" x="{}" y="{}">{} · {}</text></g>'
            ).format(
                stage.label, stage.shown, x, y, size, band, width / 2, y + band / 2 + 5,
                stage.label, stage.shown,
            )
        )  # fmt: skip
    return _svg(width, len(stages) * (band + 4), title, body)


def heat_map(counts: dict[str, int], title: str, axis: tuple[str, str]) -> Markup:
    """A 5 x 5 grid, likelihood up and impact across, each cell the open risks in it,
    coloured by its level (likelihood x impact)."""
    cell, margin = 44, 28
    body = []
    for likelihood in range(1, 6):
        for impact in range(1, 6):
            count = counts.get(f"{likelihood}-{impact}", 0)
            level = level_of(likelihood, impact)
            x, y = margin + (impact - 1) * cell, (5 - likelihood) * cell
            body.append(
                Markup(
                    '<g><title>{}-{}: {}</title><rect class="heat {}" x="{}" y="{}" width="{}"'
                    ' height="{}" data-cell="{}-{}"></rect>'
                    '<text class="on" x="{}" y="{}">{}</text></g>'
                ).format(
                    likelihood, impact, count, level, x, y, cell - 2, cell - 2, likelihood,
                    impact, x + cell / 2 - 1, y + cell / 2 + 4, count or "",
                )
            )  # fmt: skip
    for n in range(1, 6):
        body.append(
            Markup('<text class="lbl" x="{}" y="{}">{}</text>').format(
                margin + (n - 1) * cell + cell / 2, 5 * cell + 14, n
            )
        )
        body.append(
            Markup('<text class="lbl" x="20" y="{}">{}</text>').format(
                (5 - n) * cell + cell / 2 + 4, n
            )
        )
    body.append(
        Markup('<text class="axis" x="{}" y="{}">{} →</text>').format(
            margin + 2.5 * cell, 5 * cell + 30, escape(axis[1])
        )
    )
    body.append(
        Markup('<text class="axis" x="9" y="{}" transform="rotate(-90 9 {})">{} →</text>').format(
            2.5 * cell, 2.5 * cell, escape(axis[0])
        )
    )
    return _svg(margin + 5 * cell + 10, 5 * cell + 36, title, body)
