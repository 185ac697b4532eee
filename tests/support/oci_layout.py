"""A tiny OCI image layout written by hand, so tests need no Docker and no network.

The layout holds two refs: ``v1``, a single linux/amd64 image manifest, and ``multi``, an OCI
image index whose only entry is that same linux/amd64 manifest (so asking for any other
platform fails the way a real multi-arch image without that platform does). Every byte is
deterministic (tar and gzip timestamps are zero), so digests are stable across runs.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
PLATFORM = {"architecture": "amd64", "os": "linux"}


@dataclass(frozen=True)
class OciLayout:
    """Where the layout is and the digests of what it holds."""

    path: Path
    layer: str
    config: str
    manifest: str
    """Digest of the single-platform manifest (the ``v1`` ref)."""
    index: str
    """Digest of the image index (the ``multi`` ref)."""

    def ref(self, tag: str) -> str:
        """The skopeo source for one of the layout's refs, e.g. ``oci:/tmp/x/layout:v1``."""
        return f"oci:{self.path}:{tag}"


def _canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def _layer_tar() -> bytes:
    body = b"hello from a hand-made OCI image\n"
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size, info.mtime, info.mode = len(body), 0, 0o644
        tar.addfile(info, io.BytesIO(body))
    return raw.getvalue()


def _gzip(data: bytes) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
        gz.write(data)
    return out.getvalue()


def write_oci_layout(dest: Path) -> OciLayout:
    """Write the layout into ``dest`` (created if needed) and return its digests."""
    blobs = dest / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)

    def put(data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return f"sha256:{digest}"

    tar = _layer_tar()
    layer = _gzip(tar)
    layer_digest = put(layer)
    config = _canonical(
        {
            **PLATFORM,
            "config": {"Cmd": ["/hello.txt"], "Labels": {"org.example.test": "registry-why"}},
            # diff_ids name the *uncompressed* layer, unlike the manifest's layer digest.
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
            "history": [{"created_by": "tests/support/oci_layout.py"}],
        }
    )
    config_digest = put(config)
    manifest = _canonical(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": {"mediaType": CONFIG_TYPE, "digest": config_digest, "size": len(config)},
            "layers": [{"mediaType": LAYER_TYPE, "digest": layer_digest, "size": len(layer)}],
        }
    )
    manifest_digest = put(manifest)
    manifest_descriptor = {
        "mediaType": MANIFEST_TYPE,
        "digest": manifest_digest,
        "size": len(manifest),
        "platform": PLATFORM,
    }
    index = _canonical(
        {"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": [manifest_descriptor]}
    )
    index_digest = put(index)

    ref_name = "org.opencontainers.image.ref.name"
    top = {
        "schemaVersion": 2,
        "mediaType": INDEX_TYPE,
        "manifests": [
            {**manifest_descriptor, "annotations": {ref_name: "v1"}},
            {
                "mediaType": INDEX_TYPE,
                "digest": index_digest,
                "size": len(index),
                "annotations": {ref_name: "multi"},
            },
        ],
    }
    (dest / "oci-layout").write_bytes(_canonical({"imageLayoutVersion": "1.0.0"}))
    (dest / "index.json").write_bytes(_canonical(top))
    return OciLayout(
        path=dest,
        layer=layer_digest,
        config=config_digest,
        manifest=manifest_digest,
        index=index_digest,
    )
