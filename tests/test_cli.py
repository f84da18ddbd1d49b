"""The documented CLI (issue 2, item 6): names, flags and JSON keys are a public interface."""

import json
import math
import subprocess
import sys

import pytest

from scalingsym import PowerLaw, RandomFeatureRidge
from scalingsym.cli import main


def run(*args, code=0):
    proc = subprocess.run([sys.executable, "-m", "scalingsym", *args], capture_output=True, text=True, timeout=600)
    assert proc.returncode == code, proc.stderr
    return proc


def test_loss_json():
    out = json.loads(run("loss", "--spectrum", "powerlaw(alpha=1, M=1000)", "--N", "100", "--T", "400",
                         "--ridge", "0", "--json").stdout)
    for key in ("loss", "rho", "d1", "d2"):
        assert key in out
    # ridgeless closed form (B2) from the printed rho: L = (1/M)/2 * N rho / (1 - N/T)
    assert out["loss"] == pytest.approx(0.5 / 1000 * 100 * out["rho"] / (1 - 100 / 400), rel=1e-12)
    assert out["d1"] == pytest.approx(100, rel=1e-12)


def test_loss_precision_50_digits():
    out = json.loads(run("loss", "--spectrum", "powerlaw(alpha=1, M=1000)", "--N", "100", "--T", "400",
                         "--ridge", "0", "--precision", "50", "--json").stdout)
    for key in ("loss", "rho", "d1", "d2"):
        assert isinstance(out[key], str)
        digits = out[key].replace(".", "").replace("-", "").split("e")[0].lstrip("0")
        assert len(digits) >= 50, (key, out[key])
    f = RandomFeatureRidge(PowerLaw(1, 1000)).solve(100, 400, 0.0)
    assert float(out["loss"]) == pytest.approx(f.loss, rel=1e-12)


def test_simulate_json():
    out = json.loads(run("simulate", "--spectrum", "powerlaw(alpha=1, M=1000)", "--N", "100", "--T", "400",
                         "--ridge", "0.001", "--seeds", "8", "--seed", "0", "--json").stdout)
    assert out["loss_stderr"] > 0
    assert abs(out["loss_mean"] - out["theory_loss"]) < 3 * out["loss_stderr"] + 0.02 * out["theory_loss"]


def test_infinite_M_and_custom_and_file(tmp_path):
    out = json.loads(run("loss", "--spectrum", "powerlaw(alpha=1, M=inf)", "--N", "1000", "--T", "4000",
                         "--json").stdout)
    # B3: Delta(n) -> pi^2/4 / n (alpha = 1, lambda_+ = 1); M = inf has Var(w) = 1
    assert out["loss"] == pytest.approx(0.5 * math.pi**2 / 4 / 1000 / (1 - 0.25), rel=2e-3)
    out = json.loads(run("loss", "--spectrum", 'custom(expr="k**-2", M=inf)', "--N", "1000", "--T", "4000",
                         "--json").stdout)
    assert out["loss"] == pytest.approx(0.5 * math.pi**2 / 4 / 1000 / (1 - 0.25), rel=2e-3)
    f = tmp_path / "eig.txt"
    f.write_text(" ".join(str(k**-2.0) for k in range(1, 1001)))
    a = json.loads(run("loss", "--spectrum", f"file({f})", "--N", "100", "--T", "400", "--json").stdout)
    b = json.loads(run("loss", "--spectrum", "powerlaw(alpha=1, M=1000)", "--N", "100", "--T", "400",
                       "--json").stdout)
    assert a["loss"] == pytest.approx(b["loss"], rel=1e-12)


def test_peak_is_reported_not_nan():
    out = json.loads(run("loss", "--spectrum", "powerlaw(alpha=1, M=1000)", "--N", "100", "--T", "100",
                         "--json").stdout)
    assert out["diverges"] is True and out["loss"] is None


@pytest.mark.parametrize(
    "spectrum",
    [
        "custom(expr=\"__import__('os').system('echo pwned')\")",
        'custom(expr="k.__class__")',
        "powerlaw(alpha=1, M=1000",
        "os.system('x')",
        "unknown(alpha=1)",
        'custom(expr="k**2", M=inf)',
        "powerlaw(alpha=-1, M=inf)",
    ],
)
def test_bad_spectrum_strings_are_rejected(spectrum, capsys):
    code = main(["loss", "--spectrum", spectrum, "--N", "10", "--T", "20", "--json"])
    err = capsys.readouterr()
    assert code == 2 and "error" in err.err and "pwned" not in err.out


def test_console_script_is_the_same_program():
    import shutil

    exe = shutil.which("scalingsym")
    if exe is None:
        pytest.skip("console script not on PATH (package not installed)")
    proc = subprocess.run([exe, "loss", "--spectrum", "powerlaw(alpha=1, M=100)", "--N", "10", "--T", "40",
                           "--json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "loss" in json.loads(proc.stdout)
