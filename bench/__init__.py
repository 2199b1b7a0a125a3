"""Benchmarks of connector_site that run against real processes.

`bin/bench` runs `python -m bench.webhooks`: the webhook hot path end to end
(signed POST -> batched commit -> Channels group_send -> WebSocket), written
to docs/PERFORMANCE.md. Only the standard library and requirements-dev.txt.
"""
