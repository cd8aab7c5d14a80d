"""HTTP_PROXY / HTTPS_PROXY / NO_PROXY are honoured (through a real loopback proxy), and
`config show` says which proxy is in use, its password hidden."""

from __future__ import annotations

from tests.proxy import LoopbackProxy


def test_requests_go_through_the_proxy_in_the_environment(run_cli, fake):
    with LoopbackProxy() as proxy:
        result = run_cli("hi", HTTP_PROXY=proxy.url)
        assert result.code == 0 and result.text == "You said: hi\n"
        assert proxy.seen == [f"{fake.url}/v1/chat"]
        bypassed = run_cli("again", HTTP_PROXY=proxy.url, NO_PROXY="127.0.0.1")
        assert bypassed.code == 0 and len(proxy.seen) == 1  # NO_PROXY: straight to the server


def test_config_show_names_the_proxy_without_its_password(run_cli, fake):
    shown = run_cli("config", "show", HTTP_PROXY="http://me:s3cret@proxy.example:3128")
    assert shown.code == 0
    [line] = [row for row in shown.text.splitlines() if row.startswith("proxy")]
    assert "http://me:****@proxy.example:3128" in line and "HTTP_PROXY" in line
    assert "s3cret" not in shown.text
