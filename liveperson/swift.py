"""swift: the file store behind the Send API's temp URLs (docs/LIVEPERSON.md,
'Send API: file sharing').

https://developers.liveperson.com/connector-api-send-api-examples.html
"""

from urllib.parse import quote

from liveperson import transport

SERVICE = "swift"


def upload(*, base_uri: str, relative_path: str, query_params: dict, data: bytes, content_type: str) -> None:
    """PUT a file to the temp URL the Send API gave (`GenerateURLForUploadFile`)."""
    transport.request(
        "PUT",
        transport.service_url(base_uri, _path(relative_path)),
        service=SERVICE,
        params=query_params,
        headers={"Content-Type": content_type},
        data=data,
    )


def download(*, base_uri: str, relative_path: str, query_params: dict) -> tuple[bytes, str]:
    """GET a file through its temp URL (`GenerateURLForDownloadFile`): content and content type."""
    response = transport.request(
        "GET", transport.service_url(base_uri, _path(relative_path)), service=SERVICE, params=query_params
    )
    return response.content, response.headers.get("Content-Type", "application/octet-stream")


def _path(relative_path: str) -> str:
    """The relativePath as a URL path, refusing anything that could leave the container."""
    segments = relative_path.split("/")
    if not relative_path.startswith("/v1/") or any(s in ("", ".", "..") for s in segments[1:]):
        raise ValueError("a swift relativePath looks like /v1/<container>/<account>/<file>")
    return quote(relative_path, safe="/")
