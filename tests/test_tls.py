"""The TLS context writer-chat builds ahead on a thread (chatbot/api/tls.py) verifies like httpx's.

The fake server speaks HTTPS here with a certificate made for the test by the openssl command,
so the real ``writer-chat`` process has to trust it through ``SSL_CERT_FILE``, and has to
refuse it when it only has certifi's bundle.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from chatbot.api import tls
from tests.conftest import WRITER_CHAT, cli_env
from tests.fake_server import FakeWriter, Script

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


CONTEXTS = """
import json, os, ssl, httpx
from chatbot.api import tls
tls.prepare(os.environ)  # on its thread, as the console script does
contexts = [tls.verify(os.environ), httpx.create_ssl_context(), ssl.create_default_context()]
print(json.dumps([[c.cert_store_stats(), c.verify_mode, c.check_hostname] for c in contexts]))
"""


@pytest.mark.parametrize("source", ["the system's", "SSL_CERT_FILE"])
def test_prepared_context_loads_what_it_should(source: str, certificate: tuple[Path, Path]) -> None:
    # With SSL_CERT_FILE: what httpx would load. Without: the system's certificates, which is
    # what OpenSSL's defaults (and truststore on Linux) load, where httpx would take certifi's.
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    if source == "SSL_CERT_FILE":
        env["SSL_CERT_FILE"] = str(certificate[0])
    elif not tls.system_certificates():
        pytest.skip("this machine has no system CA certificates")
    done = subprocess.run(
        [sys.executable, "-c", CONTEXTS], capture_output=True, text=True, env=env, check=True
    )
    ours, httpx_default, openssl_default = json.loads(done.stdout)
    assert ours == (httpx_default if source == "SSL_CERT_FILE" else openssl_default)
    stats, verify_mode, check_hostname = ours
    assert stats["x509_ca"] == 1 if source == "SSL_CERT_FILE" else stats["x509_ca"] > 0
    assert (verify_mode, check_hostname) == (ssl.CERT_REQUIRED, True)


def _one_shot(server: FakeWriter, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = cli_env(home, server.url)
    for variable in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        environment.pop(variable, None)
    environment.update(env)
    return subprocess.run(
        [WRITER_CHAT, "hello there"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=home / "work",
        timeout=30,
    )


def test_one_shot_over_https_trusts_the_certificate_in_ssl_cert_file(
    https_fake: FakeWriter, certificate: tuple[Path, Path], home: Path
) -> None:
    https_fake.queue(Script(pieces=["Secure ", "hello."]))
    done = _one_shot(https_fake, home, SSL_CERT_FILE=str(certificate[0]))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "Secure hello.\n"
    assert https_fake.url.startswith("https://")


def test_one_shot_over_https_refuses_a_certificate_it_does_not_trust(
    https_fake: FakeWriter, home: Path
) -> None:
    done = _one_shot(https_fake, home)
    assert done.returncode == 1
    # One line, at once: a certificate that failed the check is not retried.
    assert done.stderr == (
        f"writer-chat: error: cannot connect to {https_fake.url}: its TLS certificate is not"
        " trusted (self-signed certificate); a private CA can be added to the system's"
        " certificates or given in SSL_CERT_FILE\n"
    )
    assert https_fake.chat_requests() == []  # nothing was sent to a server it cannot verify


@pytest.mark.parametrize(
    ("content", "reason"),
    [(None, "No such file or directory"), ("not a certificate\n", "no certificate or crl found")],
)
def test_certificates_that_cannot_load_are_one_clear_line(
    https_fake: FakeWriter, home: Path, content: str | None, reason: str
) -> None:
    bundle = home / "bundle.pem"
    if content is not None:
        bundle.write_text(content)
    done = _one_shot(https_fake, home, SSL_CERT_FILE=str(bundle))
    assert done.returncode == 2
    assert done.stderr == (
        f"writer-chat: error: cannot load the CA certificates in SSL_CERT_FILE ({bundle}):"
        f" {reason}\n"
    )
    assert https_fake.chat_requests() == []


# A mount namespace of its own, where the system's CA bundle is the test's certificate alone:
# nothing on the machine changes, and only a client that reads the system's certificates can
# trust the fake server.
IN_OWN_SYSTEM_STORE = """
mount --bind "$1" "$2" || exit 97
shift 2
exec "$@"
"""


def _with_system_store(bundle: Path, argv: list[str], env: dict[str, str], cwd: Path):
    store = ssl.get_default_verify_paths().openssl_cafile
    if shutil.which("unshare") is None or not os.path.exists(store):
        pytest.skip(f"needs unshare and a system CA file at {store}")
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", IN_OWN_SYSTEM_STORE,
         "sh", str(bundle), store, *argv],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=30,
    )  # fmt: skip
    if done.returncode == 97 or "unshare failed" in done.stderr:
        pytest.skip(f"cannot bind-mount over the system's CA file here: {done.stderr.strip()}")
    return done


def test_a_ca_in_the_system_certificates_is_trusted_without_ssl_cert_file(
    https_fake: FakeWriter, certificate: tuple[Path, Path], home: Path
) -> None:
    https_fake.queue(Script(pieces=["Trusted ", "by the system."]))
    env = cli_env(home, https_fake.url)
    for variable in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        env.pop(variable, None)
    done = _with_system_store(certificate[0], [WRITER_CHAT, "hello"], env, home / "work")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "Trusted by the system.\n"

    # The same namespace with certifi's bundle, httpx's default, refuses it: the test can fail.
    plain_httpx = f"import httpx; httpx.get('{https_fake.url}/v1/models')"
    refused = _with_system_store(
        certificate[0], [sys.executable, "-c", plain_httpx], env, home / "work"
    )
    assert refused.returncode == 1 and "CERTIFICATE_VERIFY_FAILED" in refused.stderr

    # SSL_CERT_FILE still wins over the system's certificates.
    import certifi

    env["SSL_CERT_FILE"] = certifi.where()
    ignored = _with_system_store(certificate[0], [WRITER_CHAT, "hello"], env, home / "work")
    assert ignored.returncode == 1 and "not trusted" in ignored.stderr
    assert len(https_fake.chat_requests()) == 1


def test_on_macos_and_windows_the_context_is_truststores(monkeypatch: pytest.MonkeyPatch) -> None:
    # The branch this machine does not take, run with the platform faked: the OS verifies.
    truststore = pytest.importorskip("truststore")
    monkeypatch.setattr(sys, "platform", "darwin")
    build = tls._Build({})  # the run's environment names no certificates
    build.run()
    assert build.source == "the system's trust store"
    assert isinstance(build.outcome, truststore.SSLContext)
    assert (build.outcome.verify_mode, build.outcome.check_hostname) == (ssl.CERT_REQUIRED, True)
    named = {"SSL_CERT_FILE": "/nowhere.pem"}  # still wins
    assert tls._Build(named).source == "SSL_CERT_FILE (/nowhere.pem)"
