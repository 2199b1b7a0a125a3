"""Mounted under /sandbox/ only when SANDBOX_ENABLED is on.

Each LivePerson service has its own prefix, which CSDS hands out as its "host".
"""

from django.urls import include, path

from sandbox import views, views_account_config, views_agent, views_messaging

app_name = "sandbox"

csds_patterns = [
    path("api/account/<str:account_id>/service/baseURI.json", views.csds_base_uris),
    path("api/account/<str:account_id>/service/<str:service_name>/baseURI.json", views.csds_base_uri),
]

agentvep_patterns = [
    path("api/account/<str:account_id>/login", views.login, name="login"),
    path("api/account/<str:account_id>/refresh", views.refresh, name="refresh"),
    path("api/account/<str:account_id>/logout", views.logout, name="logout"),
]

ac_account = "api/account/<str:account_id>/configuration"
ac_patterns = [
    path(
        f"{ac_account}/provision/featureGrants",
        views_account_config.feature_grants,
        name="feature-grants",
    ),
    path(
        f"{ac_account}/app-install/installations",
        views_account_config.installations,
        name="installation-list",
    ),
    path(
        f"{ac_account}/app-install/installations/<str:client_id>",
        views_account_config.installation,
        name="installation-detail",
    ),
]

account = "api/account/<str:account_id>"
sentinel_patterns = [
    path(f"sentinel/{account}/app/token", views_messaging.app_token, name="app-token"),
]
idp_patterns = [
    path(f"{account}/consumer", views_messaging.consumer_token, name="consumer-token"),
]
ams_patterns = [
    path(f"{account}/messaging/consumer/conversation", views_messaging.conversation, name="conversation"),
    path(f"{account}/messaging/consumer/conversation/send", views_messaging.send, name="send"),
]
# Files live at the relativePath the Send API hands out: /v1/AUTH_async-images/...
swift_patterns = [
    path("v1/<path:object_path>", views_messaging.swift_object, name="swift-object"),
]
msghist_patterns = [
    path(
        f"messaging_history/{account}/conversations/conversation/search",
        views_messaging.conversation_search,
        name="conversation-search",
    ),
]

# The agent page, for people (not a LivePerson API).
agent_conversation = "<str:conversation_id>"
agent_patterns = [
    path("", views_agent.conversation_list, name="agent-list"),
    path(f"{agent_conversation}/", views_agent.conversation_detail, name="agent-conversation"),
    path(f"{agent_conversation}/events", views_agent.conversation_events, name="agent-events"),
    path(f"{agent_conversation}/reply", views_agent.reply, name="agent-reply"),
    path(f"{agent_conversation}/private-note", views_agent.private_note, name="agent-private-note"),
    path(f"{agent_conversation}/chat-state", views_agent.chat_state, name="agent-chat-state"),
    path(f"{agent_conversation}/read", views_agent.mark_read, name="agent-read"),
    path(f"{agent_conversation}/transfer", views_agent.transfer, name="agent-transfer"),
    path(f"{agent_conversation}/back-to-queue", views_agent.back_to_queue, name="agent-back-to-queue"),
    path(f"{agent_conversation}/resume", views_agent.resume, name="agent-resume"),
    path(f"{agent_conversation}/file", views_agent.send_file, name="agent-file"),
    path(f"{agent_conversation}/close", views_agent.close, name="agent-close"),
    path(f"{agent_conversation}/mode", views_agent.mode, name="agent-mode"),
]

urlpatterns = [
    path("", views.index, name="index"),
    path("agent/", include(agent_patterns)),
    # The production and QA Domain APIs are two hosts; here, two prefixes.
    path("csds/", include(csds_patterns)),
    path("csds-qa/", include(csds_patterns)),
    path("agentvep/", include(agentvep_patterns)),
    path("ac/", include(ac_patterns)),
    path("sentinel/", include(sentinel_patterns)),
    path("idp/", include(idp_patterns)),
    path("ams/", include(ams_patterns)),
    path("swift/", include(swift_patterns)),
    path("msghist/", include(msghist_patterns)),
]
