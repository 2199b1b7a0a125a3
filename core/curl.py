"""A curl command line that reproduces a request, with secrets left out.

Every part is quoted for a POSIX shell (shlex.quote), so a stored body or a
header sent by a stranger cannot turn into a second command when pasted. A
secret header becomes `"Name: $NAME"`: the developer sets the variable, and
the secret itself is never on the page.
"""

import re
import shlex
from dataclasses import dataclass


@dataclass(frozen=True)
class Secret:
    """A header value left out of the command: shown as a shell variable to set."""

    variable: str


def secret_for(header_name: str) -> Secret:
    """The placeholder of a secret header: its name as a shell variable (X-Api-Key: $X_API_KEY)."""
    variable = re.sub(r"[^A-Za-z0-9]+", "_", header_name).strip("_").upper() or "SECRET"
    if variable[0].isdigit():
        variable = f"H_{variable}"
    return Secret(variable)


def command(*, method: str, url: str, headers: list[tuple[str, str | Secret]], body: str | None) -> str:
    """`curl` with the method, each header and the body byte for byte (--data-binary)."""
    parts = [f"curl -X {shlex.quote(method)} {shlex.quote(url)}"]
    for name, value in headers:
        parts.append(f"-H {_header(name, value)}")
    if body:
        parts.append(f"--data-binary {shlex.quote(body)}")
    return " \\\n  ".join(parts)


def _header(name: str, value: str | Secret) -> str:
    if isinstance(value, Secret):
        # Double quotes, so that the shell expands the variable: the name keeps only
        # characters with no meaning to the shell inside them.
        return f'"{re.sub(r"[^A-Za-z0-9._-]", "", name)}: ${value.variable}"'
    return shlex.quote(f"{name}: {value}")
