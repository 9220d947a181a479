"""Ratios, notes and the scaling line of the bench's report, from hand-made figures."""

from __future__ import annotations

import pytest

from bench import report
from bench.report import Figure


def _figure(size: int, backend: str, operation: str, *runs: float) -> Figure:
    unit = "ms" if "first page" in operation else "objects/s"
    return Figure(size, backend, operation, unit, list(runs))


def test_ratios_pair_accord_with_medallion_and_import_with_its_ceiling() -> None:
    figures = [
        _figure(10, "sqlite", report.POST, 100, 300, 200),
        _figure(10, "sqlite", report.TAXII_POST, 400),
        _figure(10, "sqlite", report.TAXII_FIRST_PAGE, 2.0),
        _figure(10, "sqlite", report.IMPORT, 500),
        _figure(10, "sqlite", report.CEILING_EXECUTEMANY, 1000),
        _figure(10, "postgresql", report.IMPORT, 600),
        _figure(10, "postgresql", report.CEILING_EXECUTEMANY, 800),
        _figure(10, "postgresql", report.CEILING_COPY, 1200),
        _figure(10, report.MEDALLION, report.TAXII_POST, 100),
        _figure(10, report.MEDALLION, report.TAXII_FIRST_PAGE, 50.0),
        _figure(20, "sqlite", report.TAXII_POST, 400),  # no medallion at this size
    ]
    report.add_ratios(figures)
    ratio = {(f.size, f.backend, f.operation): f for f in figures}
    assert ratio[(10, "sqlite", report.TAXII_POST)].accord_over_medallion == 4.0
    assert ratio[(10, "sqlite", report.TAXII_FIRST_PAGE)].accord_over_medallion == 0.04
    assert ratio[(20, "sqlite", report.TAXII_POST)].accord_over_medallion is None
    assert ratio[(10, report.MEDALLION, report.TAXII_POST)].accord_over_medallion is None
    assert ratio[(10, "sqlite", report.IMPORT)].accord_over_ceiling == 0.5
    assert ratio[(10, "postgresql", report.IMPORT)].accord_over_ceiling == 0.5  # over COPY
    assert ratio[(10, "sqlite", report.CEILING_EXECUTEMANY)].accord_over_ceiling == 0.2
    assert ratio[(10, "postgresql", report.CEILING_COPY)].accord_over_ceiling is None  # no POST
    assert ratio[(10, "sqlite", report.POST)].accord_over_ceiling is None


def test_a_figure_not_run_shows_its_note_and_no_numbers() -> None:
    skipped = Figure(100, report.MEDALLION, report.TAXII_POST, "objects/s")
    skipped.note = report.ABOVE_CAP
    mine = _figure(100, "sqlite", report.TAXII_POST, 400)
    report.add_ratios([mine, skipped])
    assert mine.accord_over_medallion is None
    shown = skipped.as_dict()
    assert (shown["runs"], shown["median"], shown["min"], shown["max"]) == ([], None, None, None)
    assert shown["note"] == report.ABOVE_CAP
    lines = report.table([mine, skipped]).splitlines()
    assert report.ABOVE_CAP in lines[-1]
    assert "400 (400-400)" in lines[-2]


@pytest.mark.parametrize(("large", "expected"), [(12.0, 1.2), (30.0, 3.0)])
def test_first_page_scaling_is_largest_over_smallest_size(large: float, expected: float) -> None:
    figures = [
        _figure(1_000_000, "sqlite", report.TAXII_FIRST_PAGE, large),
        _figure(10_000, "sqlite", report.TAXII_FIRST_PAGE, 10.0),
        _figure(100_000, "sqlite", report.TAXII_FIRST_PAGE, 11.0),
        _figure(10_000, report.MEDALLION, report.TAXII_FIRST_PAGE, 900.0),
        _figure(10_000, "postgresql", report.TAXII_FIRST_PAGE, 9.0),  # one size: no line
    ]
    (scaling,) = report.first_page_scaling(figures)
    assert (scaling["backend"], scaling["from_size"], scaling["to_size"]) == (
        "sqlite",
        10_000,
        1_000_000,
    )
    assert scaling["ratio"] == pytest.approx(expected)
    assert f"{expected:.2f}x from 10,000 to 1,000,000" in report.table(figures)


@pytest.mark.parametrize(
    ("theirs", "shown"), [(1.0, "905"), (100.0, "9.05"), (12_400.0, "0.073"), (1.24e7, "0.000073")]
)
def test_ratios_print_without_exponents(theirs: float, shown: str) -> None:
    figures = [
        _figure(10, "sqlite", report.TAXII_POST, 905.0),
        _figure(10, report.MEDALLION, report.TAXII_POST, theirs),
    ]
    report.add_ratios(figures)
    assert report.table(figures).splitlines()[2].endswith(f"  {shown}")


def test_every_accord_operation_is_compared_with_its_medallion_counterpart() -> None:
    figures = [
        _figure(10, "sqlite", report.POST, 300),
        _figure(10, "sqlite", report.FIRST_PAGE, 5.0),
        _figure(10, "sqlite", report.PAGED_READ, 900),
        _figure(10, "sqlite", report.IMPORT, 50),
        _figure(10, "sqlite", report.CEILING_EXECUTEMANY, 1000),
        _figure(10, report.MEDALLION, report.TAXII_POST, 100),
        _figure(10, report.MEDALLION, report.TAXII_FIRST_PAGE, 50.0),
        _figure(10, report.MEDALLION, report.TAXII_PAGED_READ, 300),
    ]
    report.add_ratios(figures)
    mine = {f.operation: f for f in figures if f.backend == "sqlite"}
    assert mine[report.POST].accord_over_medallion == 3.0
    assert mine[report.FIRST_PAGE].accord_over_medallion == 0.1
    assert mine[report.PAGED_READ].accord_over_medallion == 3.0
    assert mine[report.IMPORT].accord_over_medallion == 0.5  # over medallion's POST
    assert mine[report.CEILING_EXECUTEMANY].accord_over_medallion is None
    assert [report.faster_than_medallion(mine[op]) for op in mine] == [
        True,
        True,
        True,
        False,
        None,
    ]
    summary = report.medallion_summary(figures)
    assert (summary["compared"], summary["faster"]) == (4, 3)
    assert summary["slower"] == [{"size": 10, "backend": "sqlite", "operation": report.IMPORT}]
    last = report.table(figures).splitlines()[-1]
    assert last.startswith("Accord faster than medallion on 3 of 4 comparisons")
    assert last.endswith(f"slower: {report.IMPORT} at 10 on sqlite")


def test_no_summary_line_when_medallion_did_not_run() -> None:
    figures = [_figure(10, "sqlite", report.TAXII_POST, 400)]
    report.add_ratios(figures)
    assert report.medallion_summary(figures) == {"compared": 0, "faster": 0, "slower": []}
    assert "faster than medallion" not in report.table(figures)
