"""Throwaway TLS certificates, so tests speak TLS with verification on.

The SMTP test server and the vendor simulators serve TLS with a certificate
made here; the client under test is given its file as the CA bundle (or
`ssl_context()`), exactly as it would trust a real server's issuer.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["TestCertificate", "make_test_certificate"]


@dataclass(frozen=True)
class TestCertificate:
    """A throwaway self-signed certificate: give `cert_file` to the client as its CA."""

    __test__ = False  # not a pytest test class, despite the name

    cert_file: Path
    key_file: Path

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this certificate (and nothing else)."""
        return ssl.create_default_context(cafile=str(self.cert_file))


def make_test_certificate(
    directory: Path, hosts: Sequence[str] = ("localhost", "127.0.0.1")
) -> TestCertificate:
    """Write a self-signed certificate for `hosts`, so TLS is tested with verification on.

    A connector under test must verify the server's certificate as it would in
    production; pointing it at this file as its CA bundle does that without
    turning verification off. Validity is in real time (TLS libraries read the
    system clock, not the injected one).
    """
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    alt_names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt_names.append(x509.DNSName(host))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file = directory / "test-cert.pem"
    key_file = directory / "test-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return TestCertificate(cert_file, key_file)
