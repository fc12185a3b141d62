"""Write the schema's SDL: `python -m service.schema.export docs/schema.graphql`."""

import sys
from pathlib import Path

from . import sdl

if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "-"
    if target == "-":
        sys.stdout.write(sdl())
    else:
        Path(target).write_text(sdl(), encoding="utf-8")
        print(f"wrote {target}")
