"""The package ships compiled bytecode (``infra/bytecode.py``), and leaves out what nothing imports."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infra.bytecode import LEFT_OUT, SOURCE_ONLY, add_bytecode, main, pyc_name


def _package(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as package:
        for name, text in files.items():
            package.writestr(name, text)
    return path


def test_each_module_gets_bytecode_that_python_uses_without_looking_at_the_source(tmp_path: Path):
    package = _package(tmp_path / "deployment.zip", {
        "shop/__init__.py": "", "shop/prices.py": "PRICE = 1\n", "shop/template.html": "<p>{{ x }}</p>",
        "dns/resolver.py": "X = 1\n", "holidays/financial/ny.py": "Y = 1\n",
        "shop/py2_example.py": "print 'never imported'\n",  # not Python 3: stays as it is, no bytecode
    })

    modules, _, _ = add_bytecode(package)

    with zipfile.ZipFile(package) as shipped:
        names = set(shipped.namelist())
    assert modules == 2 and pyc_name("shop/prices.py") in names and pyc_name("holidays/financial/ny.py") not in names
    assert not any(name.startswith("dns/") for name in names), "dnspython is left out"
    assert "shop/template.html" in names and "shop/py2_example.py" in names
    assert pyc_name("shop/py2_example.py") not in names

    # Unchecked-hash bytecode: a source changed after packaging is not even looked at (a deployed package
    # never changes), which is what spares Lambda the compile and the source's stat.
    unpacked = tmp_path / "task"
    zipfile.ZipFile(package).extractall(unpacked)
    (unpacked / "shop" / "prices.py").write_text("PRICE = 2\n")
    answer = subprocess.run([sys.executable, "-S", "-c", "import shop.prices as p; print(p.PRICE)"], cwd=unpacked,
                            capture_output=True, text=True, env={"PYTHONDONTWRITEBYTECODE": "1"}, check=True)
    assert answer.stdout.strip() == "1"


def test_a_package_for_another_python_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    package = _package(tmp_path / "deployment.zip", {"a.py": "A = 1\n"})
    template = tmp_path / "sam.json"
    template.write_text(json.dumps({"Resources": {"Api": {"Properties": {"Runtime": "python3.9"}}}}))

    with pytest.raises(SystemExit, match="asks for \\['python3.9'\\]"):
        main(str(package), str(template))


def test_what_is_left_out_or_shipped_as_source_is_never_imported_by_the_email_check():
    # dnspython is left out because pydantic's EmailStr never asks email-validator for its DNS check.
    code = ("import sys; from pydantic import BaseModel, EmailStr\n"
            "class M(BaseModel):\n    email: EmailStr\n"
            "M(email='mette@firma.dk')\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] == 'dns' or m.startswith({SOURCE_ONLY!r})))")
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert answer.stdout.strip() == "[]"
    assert LEFT_OUT[:2] == ("dns/", "dnspython-")


def test_no_module_of_ours_imports_what_the_package_leaves_out():
    # Every module of the app and of chalicelib, imported as a Lambda would: none loads a left-out module.
    left_out = tuple(part.rstrip("/").replace("/", ".") for part in LEFT_OUT if part.endswith("/"))
    code = ("import importlib, pkgutil, sys, app, chalicelib\n"
            "for found in pkgutil.walk_packages(chalicelib.__path__, 'chalicelib.'):\n"
            "    if not found.name.startswith('chalicelib.local'):\n"
            "        importlib.import_module(found.name)\n"
            "from chalicelib.bootstrap import Container\n"
            "from chalicelib.settings import Settings\n"
            "Container(settings=Settings(stage='test', table_name='t')).change_stream\n"
            f"print(sorted(m for m in sys.modules if m.startswith({left_out!r})))")
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[2])
    assert answer.stdout.strip() == "[]", answer.stdout
