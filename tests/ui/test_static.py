"""The production install: `collectstatic` with the storage production uses (whitenoise's compressed
manifest storage, which refuses a file that names another file it cannot find) must succeed, and
the pages must then find their assets in the manifest."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import brotli
import pytest
from django.core.management import call_command
from django.template import engines
from django.test import override_settings
from whitenoise.compress import Compressor as WhitenoiseCompressor
from whitenoise.storage import CompressedManifestStaticFilesStorage

PRODUCTION_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def _quick_brotli(data: bytes) -> bytes:
    return bytes(brotli.compress(data, quality=1))


def test_collectstatic_with_the_production_storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # whitenoise writes every file with brotli's best (and slowest) quality: 13 of the 14 CPU
    # seconds of this collectstatic. The test is about the install (every file found, hashed,
    # named in the manifest and compressed both ways), not about brotli's quality, so it asks for
    # brotli's quickest; a real install still takes the best (`test_an_install_compresses_best`).
    monkeypatch.setattr(WhitenoiseCompressor, "compress_brotli", staticmethod(_quick_brotli))
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=PRODUCTION_STATIC):
        call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    for name in ("vendor/bootstrap/bootstrap.min.css", "vendor/bootstrap/bootstrap.bundle.min.js", "css/samdrift.css"):
        assert name in manifest
        stored = tmp_path / manifest[name]
        assert stored.is_file()
        assert gzip.decompress((tmp_path / (manifest[name] + ".gz")).read_bytes()) == stored.read_bytes()
        assert brotli.decompress((tmp_path / (manifest[name] + ".br")).read_bytes()) == stored.read_bytes()
    # The API docs' bundle is compressed; its source map, which only browser tools fetch, is not.
    bundle = manifest["drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"]
    assert (tmp_path / (bundle + ".gz")).is_file()
    source_map = manifest["drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js.map"]
    assert (tmp_path / source_map).is_file() and not (tmp_path / (source_map + ".gz")).exists()


def test_an_install_compresses_best() -> None:
    """The compressor the production storage makes (the one the test above makes quicker) writes
    brotli at its best quality, smaller than its quickest."""
    css = (Path(__file__).resolve().parents[2] / "samdrift" / "static" / "css" / "samdrift.css").read_bytes()
    compressor = CompressedManifestStaticFilesStorage().create_compressor(quiet=True)
    assert compressor.use_brotli
    best = compressor.compress_brotli(css)
    assert brotli.decompress(best) == css
    assert len(best) < len(_quick_brotli(css))


@pytest.mark.parametrize("library", ["samdrift_ui"])
def test_templates_load_the_tag_library_they_use(library: str) -> None:
    """A template that uses `|styled` without `{% load samdrift_ui %}` is a 500 on every request."""
    root = Path(__file__).resolve().parents[2] / "samdrift"
    missing = []
    for path in root.rglob("*.html"):
        text = path.read_text()
        if "|styled" in text and library not in text:
            missing.append(str(path.relative_to(root)))
    assert missing == []
    # and the filter really lives in that library
    engines["django"].from_string("{% load samdrift_ui %}{{ form|styled }}")
