"""`make bench`: every benchmark module in this folder (each has a `main()`), one after the other."""

import importlib
import pkgutil
from pathlib import Path

if __name__ == "__main__":
    for module in sorted(
        m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name != "run_all"
    ):
        print(f"== bench/{module}.py")
        importlib.import_module(f"bench.{module}").main()
