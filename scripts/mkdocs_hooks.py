"""mkdocs hooks: each notebook in notebooks/ becomes a page of the site.

``notebooks/NAME.ipynb`` is rendered from its stored outputs (no execution at build time)
into ``notebooks/NAME.md``: markdown cells as they are, code cells as Python blocks, text
outputs as text blocks, and figures as PNG files beside the page.
"""
import base64
import json
from pathlib import Path

from mkdocs.structure.files import File

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def _text(value):
    return "".join(value) if isinstance(value, list) else value


def _fenced(text, lang=""):
    text = text.rstrip("\n")
    fence = "````" if "```" in text else "```"
    return f"{fence}{lang}\n{text}\n{fence}"


def render(nb, stem):
    """(markdown, {file name: PNG bytes}) of a notebook given as parsed JSON."""
    parts, images = [], {}
    for i, cell in enumerate(nb["cells"]):
        source = _text(cell["source"])
        if cell["cell_type"] == "markdown":
            parts.append(source)
            continue
        if cell["cell_type"] != "code":
            continue
        code = "\n".join(line for line in source.splitlines() if not line.startswith("%"))
        if code.strip():
            parts.append(_fenced(code, "python"))
        for j, out in enumerate(cell.get("outputs", [])):
            kind = out.get("output_type")
            data = out.get("data", {})
            if kind == "stream":
                parts.append(_fenced(_text(out["text"]), "text"))
            elif "image/png" in data:
                name = f"{stem}_{i}_{j}.png"
                images[name] = base64.b64decode(_text(data["image/png"]))
                parts.append(f"![figure of cell {i}]({name})")
            elif "text/plain" in data:
                parts.append(_fenced(_text(data["text/plain"]), "text"))
            elif kind == "error":
                parts.append(_fenced("\n".join(out.get("traceback", [])), "text"))
    # a note on where the page comes from, after the notebook's own title cell
    first_is_title = bool(nb["cells"]) and nb["cells"][0]["cell_type"] == "markdown"
    parts.insert(1 if first_is_title else 0,
                 f"*Rendered from `notebooks/{stem}.ipynb` with its stored outputs; the "
                 "tests execute it.*")
    return "\n\n".join(parts) + "\n", images


def on_files(files, config):
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        markdown, images = render(json.loads(path.read_text(encoding="utf-8")), path.stem)
        files.append(File.generated(config, f"notebooks/{path.stem}.md", content=markdown))
        for name, png in images.items():
            files.append(File.generated(config, f"notebooks/{name}", content=png))
    return files
