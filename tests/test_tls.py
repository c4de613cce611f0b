"""TLS between the coordinator and a modality service, with certificates made here: a conversion through a real
service that requires the coordinator's certificate (mutual TLS) writes the same data; a caller without a
certificate, or in plaintext, or trusting another CA, is refused; plaintext off loopback is refused at start; a TLS
file that cannot be used is named."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from nwbstream.coordinator.client import ServiceClient
from nwbstream.coordinator.errors import ConversionError
from nwbstream.coordinator.services import ServiceSet
from nwbstream.coordinator.tls import TLSFiles
from nwbstream.service import start_server
from nwbstream.service.server import PlaintextRefused
from nwbstream.v1.transport import CredentialsError, channel_credentials, is_loopback, server_credentials
from pynwb import NWBHDF5IO

from .certificates import make_ca, make_pki
from .conftest import START, convert
from .serving import free_port, serve_command, serving


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def mutual_tls_service(pki):
    """The ecephys service on loopback, TLS, callers' certificates required (options given to `nwbstream serve`)."""
    options = ("--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key), "--tls-client-ca", str(pki.ca))
    with serving("ecephys", *options) as address:
        yield address


def test_conversion_through_mutual_tls(tmp_path, pki, mutual_tls_service, spikeglx_folder):
    tls = TLSFiles(ca=pki.ca, cert=pki.client_cert, key=pki.client_key)
    source = {"folder_path": str(spikeglx_folder), "stream_id": "imec0.lf"}
    with ServiceSet({"ecephys": mutual_tls_service}, needs={"SpikeGLXRecordingInterface"}, tls=tls) as services:
        assert services._processes == []  # nothing embedded: every chunk crossed TLS
        path = convert(services, {"LF": ("SpikeGLXRecordingInterface", source)}, tmp_path / "lf.nwb", START)
    written = np.fromfile(spikeglx_folder / "fixture_g0_t0.imec0.lf.bin", dtype="<i2").reshape(3_750, -1)
    with NWBHDF5IO(path, "r") as io:
        data = io.read().acquisition["ElectricalSeriesLFImec0"].data[:]
    np.testing.assert_array_equal(data, written[:, : data.shape[1]])
    assert data.shape == (3_750, written.shape[1] - 1)  # the sync channel is not a recording channel


def _refused(client: ServiceClient) -> str:
    try:
        with pytest.raises(ConversionError) as caught:
            client.list_interfaces()
        return str(caught.value)
    finally:
        client.close()


def test_a_caller_without_a_certificate_is_refused(pki, mutual_tls_service):
    message = _refused(ServiceClient(mutual_tls_service, "ecephys", TLSFiles(ca=pki.ca)))
    assert f"ecephys service at {mutual_tls_service} is unavailable" in message


def test_a_plaintext_caller_is_refused(mutual_tls_service):
    message = _refused(ServiceClient(mutual_tls_service, "ecephys"))
    assert f"ecephys service at {mutual_tls_service} is unavailable" in message


def test_a_caller_trusting_another_ca_refuses_the_server(tmp_path, pki, mutual_tls_service):
    other_ca, _, _ = make_ca(tmp_path, "other CA")
    tls = TLSFiles(ca=other_ca, cert=pki.client_cert, key=pki.client_key)
    assert "is unavailable" in _refused(ServiceClient(mutual_tls_service, "ecephys", tls))


def test_server_only_tls_serves_any_caller_that_trusts_it(pki):
    """Without a client CA, the server asks no certificate: the CA alone is enough to call it, plaintext is not."""
    credentials = server_credentials(pki.server_cert, pki.server_key)
    server, _, port = start_server("tls-test", [], "localhost:0", credentials=credentials)
    try:
        client = ServiceClient(f"localhost:{port}", tls=TLSFiles(ca=pki.ca))
        assert client.list_interfaces() == []
        assert client.modality == "tls-test"
        client.close()
        assert "is unavailable" in _refused(ServiceClient(f"localhost:{port}"))
    finally:
        server.stop(None)


def test_plaintext_off_loopback_is_refused_at_start():
    with pytest.raises(PlaintextRefused, match=r"^0\.0\.0\.0:0: plaintext is allowed on loopback and unix sockets"):
        start_server("tls-test", [], "0.0.0.0:0")
    result = subprocess.run(
        serve_command("ecephys", "--host", "0.0.0.0", "--port", str(free_port())),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "plaintext is allowed on loopback and unix sockets only; give --tls-cert and --tls-key" in result.stderr
    assert "listening" not in result.stdout


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1:1", True),
        ("127.8.9.10:1", True),
        ("[::1]:50051", True),
        ("localhost:80", True),
        ("unix:/tmp/x.sock", True),
        ("0.0.0.0:1", False),
        ("10.0.0.2:1", False),
        ("[::]:1", False),
        ("example.org:443", False),
        ("localhost.example.org:1", False),
    ],
)
def test_loopback_addresses(address, loopback):
    assert is_loopback(address) is loopback


def test_a_tls_file_that_cannot_be_used_is_named(tmp_path, pki):
    missing = tmp_path / "missing.pem"
    with pytest.raises(CredentialsError, match=rf"^{missing}: cannot read the TLS certificate: No such file"):
        server_credentials(missing, pki.server_key)
    not_pem = tmp_path / "key.txt"
    not_pem.write_text("not a key")
    with pytest.raises(CredentialsError, match=rf"^{not_pem}: not a PEM private key"):
        server_credentials(pki.server_cert, not_pem)
    with pytest.raises(CredentialsError, match=rf"^{pki.ca}: not a PEM private key"):
        channel_credentials(cert=pki.client_cert, key=pki.ca)  # a certificate given as the key
    with pytest.raises(CredentialsError, match=rf"^{pki.client_cert}: a client certificate without its key"):
        channel_credentials(pki.ca, cert=pki.client_cert)
    with pytest.raises(ConversionError, match=rf"^{missing}: cannot read the TLS CA certificate"):
        ServiceClient("localhost:1", tls=TLSFiles(ca=missing))
