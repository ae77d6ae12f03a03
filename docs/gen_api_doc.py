"""Regenerate docs/api.md from the public names' docstrings: python docs/gen_api_doc.py > docs/api.md"""

import inspect

import capsim

HEAD = """# API reference

Generated from the docstrings by `docs/gen_api_doc.py`: every name `import capsim` exports, then
the plotting API `capsim.plot`. The design notes and README say how the stages fit together.
"""


def entry(name: str, obj) -> list[str]:
    kind = "class" if inspect.isclass(obj) else "function"
    try:
        signature = str(inspect.signature(obj))
    except (TypeError, ValueError):
        signature = "(...)"
    doc = inspect.getdoc(obj) or "(no docstring)"
    return [f"## `{name}{signature}`", "", f"*{kind}*, from `{obj.__module__}`", "", doc, ""]


def main() -> None:
    lines = [HEAD]
    for name in capsim.__all__:
        if name != "plot":
            lines += entry(f"capsim.{name}", getattr(capsim, name))
    for name in capsim.plot.__all__:
        lines += entry(f"capsim.plot.{name}", getattr(capsim.plot, name))
    print("\n".join(lines).rstrip())


if __name__ == "__main__":
    main()
