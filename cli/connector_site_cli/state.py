"""Where the CLI stopped: the stream's cursor, in a small JSON file written atomically.

The cursor is the site's (docs/FORWARDING.md): {"origin": <event id>, "seqs":
{<conversation>: <seq>}}. It is written after each notification the local
server accepted, to a temporary file renamed over the old one, so a kill at any
moment leaves either the old cursor or the new one, never half of one.
"""

import hashlib
import json
import os
import tempfile
from pathlib import Path


def default_path(site: str, app: str, conversation: str) -> Path:
    """One state file per site and filter, under ~/.connector-site/."""
    key = hashlib.sha256(f"{site}|{app}|{conversation}".encode()).hexdigest()[:16]
    return Path.home() / ".connector-site" / f"state-{key}.json"


class Cursor:
    def __init__(self, origin: int, seqs: dict[str, int] | None = None):
        self.origin = origin
        self.seqs = dict(seqs or {})

    def as_json(self) -> dict:
        # A copy: `listen` advances the cursor in its POST thread (connector_site_cli.main.forward).
        return {"origin": self.origin, "seqs": dict(self.seqs)}

    def covers(self, positions: dict[str, int]) -> bool:
        """Whether a notification at these positions was forwarded already."""
        return bool(positions) and all(self.seqs.get(pk, -1) >= seq for pk, seq in positions.items())

    def advance(self, positions: dict[str, int]) -> None:
        for pk, seq in positions.items():
            self.seqs[pk] = max(seq, self.seqs.get(pk, 0))


class StateFile:
    def __init__(self, path: Path | None):
        self.path = path

    def load(self) -> Cursor | None:
        if self.path is None or not self.path.exists():
            return None
        data = json.loads(self.path.read_text())
        cursor = data.get("cursor") or {}
        return Cursor(int(cursor["origin"]), {str(k): int(v) for k, v in cursor.get("seqs", {}).items()})

    def save(self, cursor: Cursor) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".state-", suffix=".json")
        try:
            with os.fdopen(fd, "w") as file:
                json.dump({"cursor": cursor.as_json()}, file)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
