"""Test certificates minted with ``cryptography``: one CA and the server certs its registries use.

Every cert here is signed by one throw-away CA, so a single ``ca.crt`` decides trust; each
server cert differs from the good one in exactly one way (its names, or its validity period),
so a failure against it has exactly one cause.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

GOOD_NAMES = ("localhost", "127.0.0.1")
"""The names the good server cert (and the expired one) are valid for."""
WRONG_NAME = "other.test"
"""The only name the wrong-name cert is valid for: neither ``localhost`` nor an IP."""


@dataclass(frozen=True)
class CertPair:
    """A PEM certificate and its unencrypted PEM private key, as files."""

    cert: Path
    key: Path


@dataclass(frozen=True)
class TestPki:
    """Everything :func:`mint_pki` wrote."""

    __test__ = False  # not a pytest test class, despite the name

    ca_cert: Path
    """The CA certificate (PEM): trust this to verify ``server`` and ``expired``."""
    cert_dir: Path
    """A directory holding only ``ca.crt``, the layout ``skopeo --cert-dir`` expects."""
    server: CertPair
    """Valid now, for ``localhost`` and ``127.0.0.1``."""
    wrong_name: CertPair
    """Valid now, for ``other.test`` only (no IP SAN)."""
    expired: CertPair
    """For ``localhost`` and ``127.0.0.1``, but it expired a day ago."""


def _new_key() -> ec.EllipticCurvePrivateKey:
    # P-256 keeps minting fast (RSA-2048 generation costs ~100 ms per key on this machine).
    return ec.generate_private_key(ec.SECP256R1())


def _san(names: Sequence[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _key_usage(*, signs_certificates: bool) -> x509.KeyUsage:
    """Digital signatures only, plus certificate and CRL signing for a CA."""
    return x509.KeyUsage(
        digital_signature=True, key_cert_sign=signs_certificates, crl_sign=signs_certificates,
        content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=False, encipher_only=False, decipher_only=False,
    )


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _write_cert(cert: x509.Certificate, path: Path) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def self_signed_ca(
    common_name: str, *, now: dt.datetime | None = None
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """Make a self-signed CA certificate valid from an hour ago for a week."""
    now = now or dt.datetime.now(dt.UTC)
    key = _new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signs_certificates=True), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return key, cert


def issue_server_cert(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    names: Sequence[str],
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """Issue a TLS server cert for ``names`` (DNS names or IP literals) signed by the CA."""
    key = _new_key()
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signs_certificates=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(_san(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def mint_pki(directory: Path) -> TestPki:
    """Write a CA, a good server cert, a wrong-name cert and an expired cert under ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key, ca_cert = self_signed_ca("registry-why test CA", now=now)
    ca_path = directory / "ca.pem"
    _write_cert(ca_cert, ca_path)
    cert_dir = directory / "cert-dir"
    cert_dir.mkdir(exist_ok=True)
    _write_cert(ca_cert, cert_dir / "ca.crt")

    def pair(stem: str, names: Sequence[str], start: dt.datetime, end: dt.datetime) -> CertPair:
        key, cert = issue_server_cert(ca_key, ca_cert, names, not_before=start, not_after=end)
        out = CertPair(cert=directory / f"{stem}.crt", key=directory / f"{stem}.key")
        _write_cert(cert, out.cert)
        _write_key(key, out.key)
        return out

    valid_from, valid_to = now - dt.timedelta(hours=1), now + dt.timedelta(days=2)
    return TestPki(
        ca_cert=ca_path,
        cert_dir=cert_dir,
        server=pair("server", GOOD_NAMES, valid_from, valid_to),
        wrong_name=pair("wrong-name", (WRONG_NAME,), valid_from, valid_to),
        expired=pair("expired", GOOD_NAMES, now - dt.timedelta(days=3), now - dt.timedelta(days=1)),
    )


def write_signer(directory: Path, common_name: str) -> tuple[ec.EllipticCurvePrivateKey, Path]:
    """Make a self-signed token-signing cert; return its key and the PEM bundle path.

    The registry's ``auth.token.rootcertbundle`` points at the bundle; tokens carry the same
    cert in their ``x5c`` header, so the chain is just this one self-signed cert.
    """
    directory.mkdir(parents=True, exist_ok=True)
    key, cert = self_signed_ca(common_name)
    bundle = directory / "token-signer.pem"
    _write_cert(cert, bundle)
    return key, bundle
