"""Every value is documented where it is declared, and the README's values table matches those comments."""

from __future__ import annotations

import yaml

from tests.chart.values_doc import CHART_DIR, documented_entries, generated_table, readme_table, undocumented


def test_every_value_has_a_doc_comment() -> None:
    text = (CHART_DIR / "values.yaml").read_text()
    missing = undocumented(yaml.safe_load(text), documented_entries(text))
    assert not missing, f"values without a `# --` comment in values.yaml: {missing}"


def test_readme_values_table_is_current() -> None:
    readme = (CHART_DIR / "README.md").read_text()
    assert readme_table(readme) == generated_table(), (
        "charts/todo-chatbot/README.md's values table is stale; run: "
        ".venv/bin/python -m tests.chart.values_doc --write"
    )


def test_undocumented_value_is_caught() -> None:
    text = "# -- documented\na: 1\nb:\n  # -- nested doc\n  c: 2\n  d: 3\n"
    assert undocumented(yaml.safe_load(text), documented_entries(text)) == ["b.d"]


def test_readme_lists_every_ci_scenario() -> None:
    readme = (CHART_DIR / "README.md").read_text()
    missing = [
        path.name for path in sorted((CHART_DIR / "ci").glob("*.yaml")) if f"`{path.name}`" not in readme
    ]
    assert not missing, f"charts/todo-chatbot/README.md's scenario table lacks {missing}"
