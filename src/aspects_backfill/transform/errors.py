"""Why a line produced no statement.

``Rejected`` marks a line event-routing-backends cannot transform (it would drop or crash on
it); ``Skipped`` marks a line it deliberately ignores. Both carry a short, stable ``reason``
(the key the summary counts by) and a ``detail`` for the reject file.
"""


class LineOutcome(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class Rejected(LineOutcome):
    """The line cannot become a statement (bad or unknown data)."""


class Skipped(LineOutcome):
    """The line is not meant to become a statement (event not handled or filtered out)."""
