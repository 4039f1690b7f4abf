"""Ship compiled bytecode inside the Lambda package, so a cold start does not compile every module.

Lambda's ``/var/task`` is read-only: Python cannot write ``__pycache__`` there, so a package of plain
``.py`` files is compiled from source at every cold start (``make bench`` measures that cost). This
step adds a ``__pycache__/<name>.cpython-3XX.pyc`` beside the ``.py`` files in ``out/deployment.zip``:

- compiled by the interpreter ``chalice package`` ran with, which is also the runtime it wrote into
  the template (checked below: a ``.pyc`` of another minor version would be ignored, dead weight);
- in "unchecked hash" mode (PEP 552): the deployed package never changes, so Python neither stats
  nor hashes the source to decide whether the bytecode is current, and the zip's timestamps do not
  matter; tracebacks still show the ``.py`` source, which stays in the package;
- with fixed zip timestamps, so the same sources give the same package bytes.

Usage: ``python -m infra.bytecode out/deployment.zip out/sam.json`` (``make package`` runs it).
"""

from __future__ import annotations

import json
import py_compile
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
# Left as source: parts of dependencies that no function of ours imports (Powertools' own HTTP router
# and the utilities we do not use, pydantic's v1 copy and its deprecated parts, the stock-market
# calendars). Should one ever be imported it is compiled then: correct, only slower.
SOURCE_ONLY = ("aws_lambda_powertools/utilities/parser/", "pydantic/v1/", "pydantic/deprecated/",
               "pydantic/experimental/", "pydantic/mypy.py", "holidays/financial/")
# Not shipped: dnspython, which email-validator loads only for its DNS deliverability check, a check
# pydantic's ``EmailStr`` never asks for (tests/unit/test_package_bytecode.py holds it to that); and the
# Powertools parts nothing of ours (nor the Powertools parts we use) imports: its HTTP router, idempotency,
# validation, parameters and the rest (the only reference to the router is inside a function of it).
POWERTOOLS_UNUSED = ("event_handler", "utilities/auth_alpha", "utilities/parameters", "utilities/circuit_breaker",
                     "utilities/feature_flags", "utilities/kafka", "utilities/data_masking", "utilities/streaming",
                     "utilities/validation", "utilities/idempotency")
LEFT_OUT = ("dns/", "dnspython-", *(f"aws_lambda_powertools/{part}/" for part in POWERTOOLS_UNUSED))


def runtimes(template: Path) -> set[str]:
    resources = json.loads(template.read_text())["Resources"].values()
    return {r["Properties"]["Runtime"] for r in resources if "Runtime" in r.get("Properties", {})}


def pyc_name(source: str) -> str:
    path = PurePosixPath(source)
    return str(path.parent / "__pycache__" / f"{path.stem}.{sys.implementation.cache_tag}.pyc")


def compiled(source: bytes, name: str, workdir: Path) -> bytes:
    """The ``.pyc`` bytes Python would write for ``source``, in unchecked-hash mode (``py_compile``)."""
    module, bytecode = workdir / "module.py", workdir / "module.pyc"
    module.write_bytes(source)
    py_compile.compile(str(module), cfile=str(bytecode), dfile=name, doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    return bytecode.read_bytes()


def add_bytecode(package: Path) -> tuple[int, int, int]:
    """Rewrite ``package`` with a ``.pyc`` beside each ``.py`` (but ``SOURCE_ONLY``), without ``LEFT_OUT``.

    Returns the number of modules compiled and the package's size before and after, in bytes.
    """
    before = package.stat().st_size
    with zipfile.ZipFile(package) as original:
        entries = [(info, original.read(info)) for info in original.infolist()
                   if "/__pycache__/" not in f"/{info.filename}" and not info.filename.startswith(LEFT_OUT)]
    written = 0
    replacement = package.with_suffix(".tmp")
    with (zipfile.ZipFile(replacement, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as target,
          tempfile.TemporaryDirectory() as workdir):
        for info, data in entries:
            target.writestr(info, data)
            if not info.filename.endswith(".py") or info.filename.startswith(SOURCE_ONLY):
                continue
            try:
                bytecode = compiled(data, info.filename, Path(workdir))
            except py_compile.PyCompileError:
                continue  # a file Python would never import (templates, examples): leave it as source
            entry = zipfile.ZipInfo(pyc_name(info.filename), date_time=FIXED_TIME)
            entry.external_attr = 0o644 << 16
            target.writestr(entry, bytecode, compress_type=zipfile.ZIP_DEFLATED)
            written += 1
    replacement.replace(package)
    return written, before, package.stat().st_size


def main(package: str, template: str) -> None:
    wanted = f"python{sys.version_info.major}.{sys.version_info.minor}"
    found = runtimes(Path(template))
    if found != {wanted}:
        sys.exit(f"bytecode: the template asks for {sorted(found)}, this interpreter is {wanted}; "
                 "build the package with the runtime's Python")
    modules, before, after = add_bytecode(Path(package))
    print(f"bytecode: {modules} modules compiled for {wanted}; package {before / 1e6:.2f} -> {after / 1e6:.2f} MB")


if __name__ == "__main__":
    main(*sys.argv[1:3])
