"""deploy/'s nginx in front of the benchmark's daphnes (`bin/bench --nginx`).

The site is deploy/nginx/templates/default.conf.template itself, filled in as
the nginx image's envsubst would, except that its upstream lists every daphne
of the stack; the main configuration is the image's defaults (worker_processes
auto) with room for the benchmark's connections. Debian's nginx runs in the
foreground on free loopback ports, with a self-signed certificate
(deploy/self-signed-cert.sh), as tests/test_deploy_nginx.py runs it.
"""

import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from string import Template

from bench import procs
from bench.procs import ROOT

TEMPLATE = ROOT / "deploy" / "nginx" / "templates" / "default.conf.template"
SELF_SIGNED = ROOT / "deploy" / "self-signed-cert.sh"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

# The nginx image's nginx.conf, in the foreground and inside `prefix`.
MAIN_CONFIG = """
{user}
worker_processes {workers};
worker_rlimit_nofile {open_files};
daemon off;
pid {prefix}/nginx.pid;
events {{ worker_connections {connections}; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 65;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/site.conf;
}}
"""
# The open loop may hold 512 client connections, each with its own upstream connection.
WORKER_CONNECTIONS = 8192


def main_config(prefix: Path, workers: str = "auto", connections: int = WORKER_CONNECTIONS) -> str:
    """nginx.conf for an nginx run in the foreground by the current user, everything under `prefix`."""
    # As root nginx would switch its workers to nobody, who may not read `prefix`.
    user = "user root root;" if os.geteuid() == 0 else ""
    return MAIN_CONFIG.format(
        user=user, workers=workers, prefix=prefix, connections=connections, open_files=4 * connections
    )


@dataclass
class Nginx:
    """One running nginx: its https port, the certificate to trust, its processes."""

    https_port: int
    certificate: str
    process: subprocess.Popen
    log_path: Path

    @property
    def pids(self) -> list[int]:
        """The master and its workers, whose CPU counts as nginx's."""
        return [self.process.pid, *procs.children(self.process.pid)]

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.certificate)


def render_site(prefix: Path, upstreams: list[str], http_port: int, https_port: int) -> str:
    """The deployed template filled in as the nginx image's envsubst would, for `prefix`.

    Its one-server upstream (`server ${APP_UPSTREAM};`) is widened to every
    `host:port` of `upstreams` (`server A; server B;`): the template's own
    round-robin upstream with keep-alive, unchanged otherwise.
    """
    values = {
        "SERVER_NAME": "localhost 127.0.0.1",
        "APP_UPSTREAM": ";\n    server ".join(upstreams),
        "TLS_CERTIFICATE": str(prefix / "certs" / "fullchain.pem"),
        "TLS_CERTIFICATE_KEY": str(prefix / "certs" / "privkey.pem"),
        "STATIC_ROOT": str(prefix / "static"),
        "ACME_ROOT": str(prefix / "acme"),
        "HTTP_PORT": str(http_port),
        "HTTPS_PORT": str(https_port),
    }
    return Template(TEMPLATE.read_text()).safe_substitute(values)


def start_nginx(upstream_ports: list[int], prefix: Path, connections: int = WORKER_CONNECTIONS) -> Nginx:
    """nginx in front of `upstream_ports`, configured and logging under `prefix`;
    `connections` per worker (each proxied WebSocket takes two)."""
    if not os.path.exists(NGINX):
        raise RuntimeError("--nginx needs Debian's nginx (bin/services installs it)")
    prefix.mkdir(parents=True, exist_ok=True)
    subprocess.run([SELF_SIGNED, prefix / "certs", "localhost", "127.0.0.1"], check=True, capture_output=True)
    http_port, https_port = procs.free_port(), procs.free_port()
    upstreams = [f"127.0.0.1:{port}" for port in upstream_ports]
    (prefix / "site.conf").write_text(render_site(prefix, upstreams, http_port, https_port))
    (prefix / "nginx.conf").write_text(main_config(prefix, connections=connections))
    log_path = prefix / "nginx.log"
    command = [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log")]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, preexec_fn=procs.raise_open_files_limit
        )
    nginx = Nginx(https_port, str(prefix / "certs" / "fullchain.pem"), process, log_path)
    try:
        _wait_for_port(nginx)
    except BaseException:
        stop_nginx(nginx)
        raise
    return nginx


def _wait_for_port(nginx: Nginx, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if nginx.process.poll() is not None:
            error_log = nginx.log_path.with_name("error.log")
            raise RuntimeError(f"nginx exited: {error_log.read_text(errors='replace')[-2000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", nginx.https_port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on {nginx.https_port} in {timeout:.0f} s")


def stop_nginx(nginx: Nginx) -> None:
    """SIGQUIT (graceful), then the usual SIGTERM/SIGKILL if it lingers."""
    if nginx.process.poll() is None:
        nginx.process.send_signal(signal.SIGQUIT)
        try:
            nginx.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            procs.stop_process(nginx.process)
