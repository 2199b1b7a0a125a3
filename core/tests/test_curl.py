"""core.curl: a pasteable command, every part quoted, secrets as shell variables."""

import shlex

from core import curl


def test_it_quotes_every_part_so_a_body_cannot_run_commands():
    body = '{"a": "it\'s $(rm -rf ~) `id`"}'

    command = curl.command(method="POST", url="https://x.example/h", headers=[], body=body)

    assert shlex.split(command.replace("\\\n", " ")) == [
        "curl",
        "-X",
        "POST",
        "https://x.example/h",
        "--data-binary",
        body,
    ]


def test_a_secret_header_is_a_shell_variable():
    command = curl.command(
        method="POST",
        url="https://x.example/",
        headers=[("X-Api-Key", curl.secret_for("X-Api-Key"))],
        body="",
    )

    assert '-H "X-Api-Key: $X_API_KEY"' in command


def test_a_secret_headers_odd_name_cannot_escape_its_quotes():
    name = 'x-"$(id)`'

    command = curl.command(method="POST", url="u", headers=[(name, curl.secret_for(name))], body="")

    assert '"x-id: $X_ID"' in command


def test_plain_headers_are_quoted_whole():
    command = curl.command(method="POST", url="u", headers=[("X-Name", "a 'b'")], body=None)

    assert shlex.split(command.replace("\\\n", " "))[-2:] == ["-H", "X-Name: a 'b'"]
