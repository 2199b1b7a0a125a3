"""All HTTP to LivePerson goes through this package (no models, no views).

Modules: `transport` (session, timeouts, retries, error mapping, safe logging),
`errors` (typed exceptions), `schemas` (response models), and one module per
LivePerson API: `csds` (service discovery), `login` (Login Service), `app_install`
(Account Config), and for the Connector API `sentinel` (AppJWT), `idp` (ConsumerJWS),
`send_api`, `swift` (files) and `msghist` (messaging history).
"""
