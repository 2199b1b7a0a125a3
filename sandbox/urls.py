"""Mounted under /sandbox/ only when SANDBOX_ENABLED is on.

Each LivePerson service has its own prefix, which CSDS hands out as its "host".
"""

from django.urls import include, path

from sandbox import views, views_account_config

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

urlpatterns = [
    path("", views.index, name="index"),
    # The production and QA Domain APIs are two hosts; here, two prefixes.
    path("csds/", include(csds_patterns)),
    path("csds-qa/", include(csds_patterns)),
    path("agentvep/", include(agentvep_patterns)),
    path("ac/", include(ac_patterns)),
]
