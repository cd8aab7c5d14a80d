"""HTTP_PROXY / HTTPS_PROXY / ALL_PROXY / NO_PROXY are honoured (through real loopback proxies:
HTTP forwarding, an HTTP CONNECT tunnel, SOCKS5), and `config show` says which proxy is in use,
its password hidden."""

from __future__ import annotations

from tests.fake_server import Script
from tests.proxy import LoopbackProxy, LoopbackSocks


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


def test_a_proxy_that_refuses_is_named(run_cli, fake):
    result = run_cli("--retries", "0", "hi", HTTP_PROXY="http://127.0.0.1:9")
    assert result.code == 1 and len(result.stderr.splitlines()) == 1
    assert "cannot connect to the proxy http://127.0.0.1:9 (HTTP_PROXY)" in result.stderr
    assert fake.chat_requests() == []


def test_a_proxy_that_wants_a_password_says_so_and_never_shows_one(run_cli, fake):
    with LoopbackProxy("me", "s3cret") as proxy:
        asked = run_cli("hi", HTTP_PROXY=proxy.url)
        assert asked.code == 1 and "asks for a user name and password (HTTP 407)" in asked.stderr
        host = proxy.url.removeprefix("http://")
        given = run_cli("hi", HTTP_PROXY=f"http://me:s3cret@{host}")
        assert given.code == 0 and given.text == "You said: hi\n"
        wrong = run_cli("hi", HTTP_PROXY=f"http://me:wrong-pass@{host}")
        assert wrong.code == 1 and "http://me:****@" in wrong.stderr
        assert "wrong-pass" not in wrong.stderr and "s3cret" not in asked.stderr + wrong.stderr


def test_a_system_wide_config_sets_the_fleet_s_defaults_and_the_user_s_beats_it(
    run_cli, fake, home
):
    with LoopbackProxy() as proxy:
        system = home / "etc-xdg" / "writer-chat" / "config.toml"
        system.parent.mkdir(parents=True)
        system.write_text(
            f'base_url = "{fake.url}"\nproxy = "{proxy.url}"\nmodel = "palmyra-x4"\n'
            'system = "Company style."\n'
        )
        user = home / "config-home" / "writer-chat" / "config.toml"
        user.parent.mkdir(parents=True)
        user.write_text('model = "palmyra-x5"\n')
        env = {
            "XDG_CONFIG_DIRS": str(home / "etc-xdg"),
            "XDG_CONFIG_HOME": str(home / "config-home"),
            "WRITER_BASE_URL": None,  # the administrator's base URL, not the test's
        }
        shown = {row.split()[0]: row for row in run_cli("config", "show", **env).text.splitlines()}
        assert shown["model"].split()[1] == "palmyra-x5" and str(user) in shown["model"]
        assert fake.url in shown["base_url"] and str(system) in shown["base_url"]
        assert proxy.url in shown["proxy"] and str(system) in shown["proxy"]
        assert str(system) in shown["system"]
        result = run_cli("hi", **env)
        assert result.code == 0 and result.text == "You said: hi\n"
        assert proxy.seen == [f"{fake.url}/v1/chat"]  # through the configured proxy
        assert fake.chat_requests()[0].messages[0] == {
            "role": "system",
            "content": "Company style.",
        }


def test_https_goes_through_the_proxy_s_tunnel(run_cli, https_fake, certificate):
    # An https:// base URL through HTTPS_PROXY: the client asks for a CONNECT tunnel, and the
    # proxy sees where it goes, not what is said.
    https_fake.queue(Script(pieces=["Through ", "the tunnel."]))
    with LoopbackProxy() as proxy:
        result = run_cli(
            "hi",
            WRITER_BASE_URL=https_fake.url,
            HTTPS_PROXY=proxy.url,
            SSL_CERT_FILE=str(certificate[0]),
        )
        assert result.code == 0, result.stderr
        assert result.text == "Through the tunnel.\n"
        assert proxy.seen == [f"CONNECT {https_fake.url.removeprefix('https://')}"]
        assert len(https_fake.chat_requests()) == 1


def test_a_tunnel_that_wants_a_password_says_so_and_never_shows_one(
    run_cli, https_fake, certificate
):
    with LoopbackProxy("me", "s3cret") as proxy:
        host = proxy.url.removeprefix("http://")
        env = {"WRITER_BASE_URL": https_fake.url, "SSL_CERT_FILE": str(certificate[0])}
        asked = run_cli("hi", HTTPS_PROXY=proxy.url, **env)
        assert asked.code == 1 and len(asked.stderr.splitlines()) == 1
        assert f"the proxy {proxy.url} (HTTPS_PROXY) asks for a user name and password" in (
            asked.stderr
        )
        wrong = run_cli("hi", "--proxy", f"http://me:wrong-pass@{host}", **env)
        assert wrong.code == 1 and f"the proxy http://me:****@{host} (--proxy" in wrong.stderr
        assert "wrong-pass" not in wrong.stderr
        given = run_cli("hi", HTTPS_PROXY=f"http://me:s3cret@{host}", **env)
        assert given.code == 0 and given.text == "You said: hi\n"
        assert "s3cret" not in asked.stderr + wrong.stderr + given.stderr
        assert len(https_fake.chat_requests()) == 1


def test_requests_go_through_a_socks_proxy(run_cli, fake):
    with LoopbackSocks() as socks:
        result = run_cli("hi", ALL_PROXY=socks.url)
        assert result.code == 0 and result.text == "You said: hi\n", result.stderr
        assert socks.seen == [fake.url.removeprefix("http://")]
        shown = run_cli("config", "show", ALL_PROXY=socks.url)
        [line] = [row for row in shown.text.splitlines() if row.startswith("proxy")]
        assert socks.url in line and "ALL_PROXY" in line


def test_a_socks_proxy_that_refuses_is_named(run_cli, fake):
    result = run_cli("--retries", "0", "hi", ALL_PROXY="socks5://127.0.0.1:9")
    assert result.code == 1 and len(result.stderr.splitlines()) == 1
    assert "cannot connect to the proxy socks5://127.0.0.1:9 (ALL_PROXY)" in result.stderr


def test_a_socks_proxy_without_the_extra_says_how_to_add_it(run_cli, fake, tmp_path):
    # The [socks] extra is installed here; a socksio that cannot be imported stands in for a
    # machine without it.
    (tmp_path / "missing" / "socksio").mkdir(parents=True)
    (tmp_path / "missing" / "socksio" / "__init__.py").write_text(
        "raise ImportError('No module named socksio')\n"
    )
    result = run_cli(
        "hi",
        ALL_PROXY="socks5://127.0.0.1:9",
        PYTHONPATH=str(tmp_path / "missing"),
        process=True,  # a module that cannot be imported: only a new process can show it
    )
    assert result.code == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "socks5://127.0.0.1:9 (ALL_PROXY) is a SOCKS proxy" in result.stderr
    assert "writer-chat[socks]" in result.stderr and "Traceback" not in result.stderr
    assert fake.chat_requests() == []


def test_a_socks_proxy_with_a_password_never_shows_it(run_cli, fake):
    with LoopbackSocks("me", "s3cret") as socks:
        host = socks.url.removeprefix("socks5://")
        given = run_cli("hi", ALL_PROXY=f"socks5://me:s3cret@{host}")
        assert given.code == 0 and given.text == "You said: hi\n", given.stderr
        wrong = run_cli("--retries", "0", "hi", ALL_PROXY=f"socks5://me:wrong-pass@{host}")
        assert wrong.code == 1 and len(wrong.stderr.splitlines()) == 1
        assert f"the proxy socks5://me:****@{host} (ALL_PROXY)" in wrong.stderr
        assert "wrong-pass" not in wrong.stderr and "s3cret" not in given.stderr + wrong.stderr
        asked = run_cli("--retries", "0", "hi", ALL_PROXY=socks.url)
        assert asked.code == 1 and len(asked.stderr.splitlines()) == 1
        assert f"the proxy {socks.url} (ALL_PROXY) asks for a user name and password" in (
            asked.stderr
        )
        assert "socks5://user:password@host:port" in asked.stderr
        assert socks.seen == [fake.url.removeprefix("http://")]  # only the right one got through
