"""The sandbox's demo accounts. The README publishes these credentials."""

SEED_ACCOUNTS = [
    {
        "account_id": "90000001",
        "name": "Sandbox Brand",
        "async_messaging": True,
        "file_sharing": True,
        # Conversations opened on this skill get a post-conversation survey
        # (docs/LIVEPERSON.md, 'Post-conversation survey').
        "survey_skill_ids": ["90001"],
        "users": [
            {"login_name": "admin", "password": "sandbox-admin", "user_id": "1000000001", "is_admin": True},
            {"login_name": "lpa", "password": "sandbox-lpa", "user_id": "1000000002", "is_lpa": True},
            {"login_name": "agent", "password": "sandbox-agent", "user_id": "1000000003"},
        ],
    },
    {
        # A QA-style id ("le..."): the app looks it up through CSDS_DOMAIN_QA.
        "account_id": "le90000002",
        "name": "Sandbox QA Brand",
        # Without Async Messaging, so the app's warning can be seen.
        "async_messaging": False,
        "file_sharing": False,
        "survey_skill_ids": [],
        "users": [
            {"login_name": "admin", "password": "sandbox-admin", "user_id": "2000000001", "is_admin": True},
        ],
    },
    {
        # QA ids also start with "qa" (docs/LIVEPERSON.md, 'Service discovery (CSDS)'). It can chat,
        # but its site property messaging.file.sharing.enabled is off, as it is on LivePerson
        # until an admin sets it, so the app's refusal of images can be seen.
        "account_id": "qa90000003",
        "name": "Sandbox QA Brand without file sharing",
        "async_messaging": True,
        "file_sharing": False,
        "survey_skill_ids": [],
        "users": [
            {"login_name": "admin", "password": "sandbox-admin", "user_id": "3000000001", "is_admin": True},
        ],
    },
]

# The Login Service's privilege ids; only their presence matters to the app.
ADMIN_PRIVILEGES = [100, 101, 1730, 1731, 1732, 1733, 1734, 1735]
AGENT_PRIVILEGES = [100, 101]

# Service name in CSDS -> URL prefix under /sandbox/ (docs/LIVEPERSON.md,
# 'Service discovery (CSDS)', lists the services).
SERVICE_PATHS = {
    "agentVep": "agentvep",
    "accountConfigReadWrite": "ac",
    "sentinel": "sentinel",
    "idp": "idp",
    "asyncMessagingEnt": "ams",
    "msgHist": "msghist",
    "swift": "swift",
}
