"""Shared pytest hooks: tests that measure something (the paper miniature's per-stage time and peak RSS) attach it
with `record_property`, and the run's summary prints it, so CI's log carries the numbers
(the properties travel with each test's report, so this holds when tests run in worker processes too)."""

def pytest_terminal_summary(terminalreporter):
    "Print every `report` property that passing tests recorded (name, then one line per entry)."
    for report in terminalreporter.stats.get('passed', []):
        for name, value in getattr(report, 'user_properties', []):
            if name != 'report': continue
            terminalreporter.write_sep('-', f'{report.nodeid}: report')
            for line in (value if isinstance(value, list) else [value]): terminalreporter.write_line(str(line))
