#!/usr/bin/env python3
"""The layering promise of docs/architecture.md: the coordinator, the live page and the
report never link the engine. Reads the package's target graph (`swift package describe
--type json`) and fails, naming the path, when one of those targets reaches an engine
target through its dependencies. Run by `make layers`, part of `make test`."""
import json
import subprocess
import sys

# The targets that must stay free of the engine, and what the engine is: its kernels, BLAS,
# the data loaders (zlib) and the targets that train or run a trained network.
ENGINE_FREE = ["SweepCoordinator", "SweepLive", "SweepReport", "SweepStore", "SweepSpec",
               "SweepSearch", "SweepProtocol", "SweepInsights"]
ENGINE = {"SweepEngine", "SweepTrain", "SweepData", "SweepPictures", "SweepWorker",
          "CKernels", "COpenBLAS", "CZlib"}


def main() -> int:
    swift = sys.argv[1] if len(sys.argv) > 1 else "swift"
    described = subprocess.run([swift, "package", "describe", "--type", "json"],
                               check=True, capture_output=True, text=True).stdout
    targets = {t["name"]: t.get("target_dependencies", []) for t in json.loads(described)["targets"]}
    failures = []
    for root in ENGINE_FREE:
        if root not in targets:
            failures.append(f"{root}: no such target in Package.swift")
            continue
        # breadth first, remembering how each target was reached
        via = {root: None}
        queue = [root]
        while queue:
            name = queue.pop(0)
            for dep in targets.get(name, []):
                if dep in via:
                    continue
                via[dep] = name
                queue.append(dep)
        for bad in sorted(ENGINE & via.keys()):
            path, at = [], bad
            while at is not None:
                path.append(at)
                at = via[at]
            failures.append(f"{root} links the engine: {' -> '.join(reversed(path))}")
    for line in failures:
        print(f"make layers: {line}", file=sys.stderr)
    if not failures:
        print(f"make layers: {len(ENGINE_FREE)} targets checked, none links the engine")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
