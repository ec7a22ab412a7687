"""Running the metrics: the sums of all metrics over one subject in a single query, the
samples of a quantile once for all its quantiles, one query per breakdown."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from bot.reports.metrics import BREAKDOWNS, METRICS, Count, Quantile, Ratio, Shares
from bot.reports.scope import Scope, counts_by, samples, sums, tune
from bot.reports.values import Breakdown, Metric, Value, count, percentile, ratio, shares


def evaluate_metrics(session: Session, scope: Scope, names: Iterable[str] | None = None) -> dict[str, Metric]:
    """{name: Metric} for the named metrics (all by default), in METRICS' order."""
    wanted = [name for name in METRICS if names is None or name in set(names)]
    tune(session)
    specs = {name: METRICS[name][0](scope) for name in wanted}
    results: dict[str, Metric] = {}
    by_subject: dict[str, list[str]] = defaultdict(list)
    for name, spec in specs.items():
        if isinstance(spec, (Ratio, Count)):
            by_subject[spec.subject.name].append(name)
    for names_of_subject in by_subject.values():
        columns = _Columns()
        positions: dict[str, list[int]] = {}
        for name in names_of_subject:
            spec = specs[name]
            if isinstance(spec, Ratio):
                parts = [spec.numerator, spec.denominator]
            else:
                assert isinstance(spec, Count)
                parts = [spec.count] + ([spec.among] if spec.among is not None else [])
            positions[name] = [columns.add(part) for part in parts]
        total, groups = sums(session, scope, specs[names_of_subject[0]].subject, columns.items)
        for name in names_of_subject:
            make = _maker(specs[name], positions[name])
            results[name] = Metric(name, METRICS[name][1], make(total), {k: make(v) for k, v in groups.items()})
    drawn: dict[tuple[str, int, int], tuple[list[float], dict[str, list[float]]]] = {}
    for name, spec in specs.items():
        if isinstance(spec, Quantile):
            key = (spec.subject.name, id(spec.sample), id(spec.where))
            if key not in drawn:
                drawn[key] = samples(session, scope, spec.subject, spec.sample, where=[spec.where])
            total_samples, grouped = drawn[key]
            results[name] = Metric(
                name,
                METRICS[name][1],
                percentile(total_samples, spec.q),
                {k: percentile(v, spec.q) for k, v in grouped.items()},
            )
    return {name: results[name] for name in wanted}


class _Columns:
    """The SUM columns of one query, each distinct expression once (many metrics share
    "1" or the same flag)."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._index: dict[Any, int] = {}

    def add(self, expression: Any) -> int:
        key: Any = id(expression)
        compiled = expression.compile()
        if not compiled.params:  # no bound values: its SQL says everything
            key = str(compiled)
        if key not in self._index:
            self._index[key] = len(self.items)
            self.items.append(expression)
        return self._index[key]


def _maker(spec: Any, at: list[int]) -> Any:
    if isinstance(spec, Ratio):
        return lambda values: ratio(values[at[0]], values[at[1]])
    if len(at) == 2:
        return lambda values: count(values[at[0]], values[at[1]])
    return lambda values: count(values[at[0]])


def evaluate_breakdowns(session: Session, scope: Scope, names: Iterable[str] | None = None) -> dict[str, Breakdown]:
    """{name: Breakdown}; breakdowns counting the same item of the same subject (the two
    rating distributions) share one query."""
    wanted = [name for name in BREAKDOWNS if names is None or name in set(names)]
    tune(session)
    specs = {name: BREAKDOWNS[name](scope) for name in wanted}
    batches: dict[tuple[str, int], list[str]] = defaultdict(list)
    for name, spec in specs.items():
        batches[(spec.subject.name, id(spec.item))].append(name)
    results: dict[str, Breakdown] = {}
    for batch in batches.values():
        first = specs[batch[0]]
        counted = counts_by(session, scope, first.subject, first.item, [specs[name].where for name in batch])
        for name, (total, groups) in zip(batch, counted, strict=True):
            results[name] = _breakdown(name, specs[name], total, groups)
    return {name: results[name] for name in wanted}


def _breakdown(name: str, spec: Shares, total: dict[str, float], groups: dict[str, dict[str, float]]) -> Breakdown:
    order = None
    if spec.order is not None:  # the vocabulary's order, then values outside it (older data) by count
        order = list(spec.order) + sorted((k for k in total if k not in spec.order), key=lambda k: (-total[k], k))

    def cut(values: dict[str, Value]) -> dict[str, Value]:
        return dict(list(values.items())[: spec.limit]) if spec.limit else values

    return Breakdown(
        name, cut(shares(total, order)), {label: cut(shares(counts, order)) for label, counts in groups.items()}
    )


def evaluate_metric(session: Session, scope: Scope, name: str) -> Metric:
    return evaluate_metrics(session, scope, [name])[name]


def evaluate_breakdown(session: Session, scope: Scope, name: str) -> Breakdown:
    return evaluate_breakdowns(session, scope, [name])[name]
