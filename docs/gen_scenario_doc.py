"""Regenerate docs/scenario.md from capsim/schema.py: python docs/gen_scenario_doc.py > docs/scenario.md"""

from capsim import schema
from capsim.scenario import _model_of

HEAD = """# Scenario file keys

Generated from `capsim/schema.py` by `docs/gen_scenario_doc.py` (the schema is the source of
truth; unknown keys are errors). Relative paths under `[data]` are relative to the file that
names them, and must stay inside the scenario's folder tree (the scenario's folder, or the
nearest folder above it holding a `.capsim-root` file; `--data-root DIR` adds a folder). A
scenario may also hold `extends = "other.toml"` and `[overrides.NAME]` tables
(switched on with `--use NAME`); see README.

Numbers must be finite (`nan` and `inf` are refused), `true`/`false` is never a number and a
number never `true`/`false`. `capsim validate` runs every check `capsim run` makes, before any
work starts: these keys, every table, the assessed `standards.quantile` among the forecast's
`uncertainty.quantiles`, annual steps when there is a plan, and the memory a forecast needs
(about years x draws x regions x 2 sexes x age groups x 8 bytes, five times over): a forecast
that would not fit in the memory available is refused with the figure and how many draws fit.
"""


def table(model, title):
    rows = [f"## `{title}`\n", "| key | default | meaning |", "|---|---|---|"]
    subs = []
    for name, field in model.model_fields.items():
        if name == "source":
            continue
        sub = _model_of(field.annotation)
        if sub is not None:
            subs.append((sub, f"{title}.{name}" if title != "(top level)" else name))
            continue
        default = "required" if field.is_required() else repr(field.get_default(call_default_factory=True))
        rows.append(f"| `{name}` | {default} | {field.description or ''} |")
    return rows, subs


def main():
    print(HEAD)
    queue, seen = [(schema.Scenario, "(top level)")], set()
    while queue:
        model, title = queue.pop(0)
        if model is schema.Level:
            if model in seen:
                continue
            title = "education.LEVEL (kindergarten, primary, junior, senior)"
        seen.add(model)
        rows, subs = table(model, title)
        print("\n".join(rows) + "\n")
        queue += subs


if __name__ == "__main__":
    main()
