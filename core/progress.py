"""A progress bar for management commands, on one terminal line."""

import time

from django.core.management.base import OutputWrapper

BAR_WIDTH = 30
REDRAW_EVERY_SECONDS = 0.2


class ProgressBar:
    """`label [#####.....] 50% 100,000/200,000` redrawn in place with `\\r`."""

    def __init__(self, stream, *, label: str, total: int):
        self.stream, self.label, self.total, self.done = stream, label, total, 0
        self._drawn = 0.0

    def advance(self, number: int) -> None:
        self.done += number
        if time.monotonic() - self._drawn >= REDRAW_EVERY_SECONDS:
            self._draw()

    def close(self) -> None:
        self._draw()
        self._write("\n")

    def _draw(self) -> None:
        share = min(1.0, self.done / self.total) if self.total else 1.0
        filled = int(share * BAR_WIDTH)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self._write(f"\r{self.label:<14} [{bar}] {share:4.0%} {self.done:,}/{self.total:,}")
        self._drawn = time.monotonic()

    def _write(self, text: str) -> None:
        if isinstance(self.stream, OutputWrapper):
            self.stream.write(text, ending="")  # not the newline it adds by default
        else:
            self.stream.write(text)
        self.stream.flush()


class ProgressBars:
    """One bar per stage, drawn one after the other: call it with (stage, units done)."""

    def __init__(self, stream, totals: dict[str, int]):
        self.bars = {stage: ProgressBar(stream, label=stage, total=total) for stage, total in totals.items()}
        self.current = None

    def __call__(self, stage: str, number: int) -> None:
        if stage != self.current:
            self.close()
            self.current = stage
        self.bars[stage].advance(number)

    def close(self) -> None:
        if self.current is not None:
            self.bars[self.current].close()
            self.current = None
