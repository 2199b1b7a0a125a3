"""connector-site: forward, tail and replay a connector_site deployment's webhooks locally."""
