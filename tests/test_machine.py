"""gan_helpers.machine: the full-mode estimate rests on the measured speeds file, and says so."""

import json

import pytest

from gan_helpers import machine

NOTEBOOK_WORKLOADS = {"dense", "conditional dense", "compact", "constant width"}


def _speeds_file(tmp_path, **changes):
    record = {
        "measured": "2026-12-02 11:50 UTC",
        "cpu": "Test CPU, 2 cores",
        "conditions": "nothing else running",
        "command": "python benchmarks/notebook_speeds.py",
        "steps_per_second": {"dense": 20.0, "compact": 2.0},
        **changes,
    }
    path = tmp_path / "machine_speeds.json"
    path.write_text(json.dumps(record))
    return path


def test_the_shipped_speeds_file_covers_every_workload_the_notebooks_report():
    record = machine.measured_speeds()
    assert set(record["steps_per_second"]) == NOTEBOOK_WORKLOADS
    assert record["measured"] and record["cpu"] and record["conditions"]


def test_expected_seconds_add_each_workloads_steps_over_its_measured_rate(tmp_path):
    path = _speeds_file(tmp_path)
    assert machine.expected_cpu_seconds({"dense": 1_000, "compact": 10}, path) == 55.0


def test_an_unknown_workload_is_refused_with_the_known_ones(tmp_path):
    with pytest.raises(ValueError, match=r"Unknown workload\(s\) \['gpu'\].*'compact', 'dense'"):
        machine.expected_cpu_seconds({"gpu": 1}, _speeds_file(tmp_path))


def test_a_missing_speeds_file_names_the_file_and_the_script(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"absent\.json are missing.*notebook_speeds\.py"):
        machine.measured_speeds(tmp_path / "absent.json")


def test_a_damaged_speeds_file_names_the_file(tmp_path):
    path = tmp_path / "machine_speeds.json"
    path.write_text('{"measured": "today", "steps_per')
    with pytest.raises(ValueError, match=r"machine_speeds\.json are not valid JSON"):
        machine.measured_speeds(path)


def test_a_speeds_file_without_its_date_or_with_a_zero_rate_is_refused(tmp_path):
    undated = _speeds_file(tmp_path)
    record = json.loads(undated.read_text())
    del record["measured"]
    undated.write_text(json.dumps(record))
    with pytest.raises(ValueError, match=r"lacks \['measured'\]"):
        machine.measured_speeds(undated)
    with pytest.raises(ValueError, match="positive"):
        machine.measured_speeds(_speeds_file(tmp_path, steps_per_second={"dense": 0}))


def test_the_full_mode_report_states_the_estimate_and_where_the_rates_were_measured(
    monkeypatch, capsys
):
    monkeypatch.setenv("GAN_FAST", "0")
    machine.report({"dense": 1_000})
    printed = capsys.readouterr().out
    record = machine.measured_speeds()
    assert "Full mode trains 1,000 steps" in printed
    assert record["cpu"] in printed and record["measured"] in printed
