"""Headless Chromium for the page tests (the HTML report, /docs).

Chromium comes from Debian's `chromium` package: installed here with apt-get when it is
missing and we are root (as tests/hosts/setup.sh installs sshd), else the test is skipped
saying why. Each run gets a fresh profile folder and no background traffic; with
`offline=True` every host name but the loopback fails to resolve, so a page that needs
the internet shows it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"


def chromium() -> str:
    """The Chromium program, installing Debian's package when needed (and allowed)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("chromium is not installed and cannot be: apt-get install chromium needs root on Debian")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=600)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env, timeout=900)
    found = shutil.which("chromium")
    if not found:
        pytest.fail("apt-get installed chromium but it is not on PATH")
    return found


def run(url: str, *args: str, offline: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        argv = [chromium(), *FLAGS, f"--user-data-dir={profile}", *([OFFLINE] if offline else []), *args, url]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=profile)


def dump_dom(url: str, *, wait_ms: int = 5000) -> str:
    """The page's DOM after its scripts ran (virtual time: no fixed sleep)."""
    out = run(url, f"--virtual-time-budget={wait_ms}", "--dump-dom")
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def screenshot(url: str, png: Path, *, width: int = 1280, height: int = 2400) -> Path:
    out = run(url, f"--screenshot={png}", f"--window-size={width},{height}")
    assert out.returncode == 0 and png.is_file(), out.stderr[-2000:]
    return png


def png_pixels(png: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of an 8-bit RGB(A) PNG, as Chromium writes them (zlib only)."""
    import struct
    import zlib

    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xFF
        prev = line
        rgb = bytes(line) if channels == 3 else bytes(v for i, v in enumerate(line) if i % 4 != 3)
        rows.append(rgb)
    return width, height, rows


def colour_counts(png: Path, *hex_rgb: str, tolerance: int = 12) -> list[int]:
    """How many pixels are (nearly) each of these colours (one decoding for all)."""
    wanted = [bytes.fromhex(h.lstrip("#")) for h in hex_rgb]
    counts = [0] * len(wanted)
    _, _, rows = png_pixels(png)
    for row in rows:
        for i in range(0, len(row), 3):
            r, g, b = row[i], row[i + 1], row[i + 2]
            for k, w in enumerate(wanted):
                if abs(r - w[0]) <= tolerance and abs(g - w[1]) <= tolerance and abs(b - w[2]) <= tolerance:
                    counts[k] += 1
    return counts
