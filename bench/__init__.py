"""Benchmarks of connector_site that run against real processes.

`bin/bench` runs `python -m bench.webhooks`: the webhook hot path end to end
(signed POST -> batched commit -> Channels group_send -> WebSocket), written
to docs/PERFORMANCE.md. `bin/bench-faults` runs `python -m bench.faults`:
faults, floods and soak of the same path, on servers of its own.
`bin/bench-chat` runs `python -m bench.chat`: the demo chat against the sandbox
(a message's "sent" frame and the scripted agent's echo). Only the standard
library and requirements-dev.txt.
"""
