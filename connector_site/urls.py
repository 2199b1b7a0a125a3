from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from api.views import api
from apps_admin import views as apps_admin_views
from connector_site import health


def favicon(request):
    """Browsers and tools that ask for /favicon.ico without reading the page's <link rel=icon>."""
    return redirect(static("favicon.svg"), permanent=True)


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("", apps_admin_views.installation_list, name="home"),
    path("apps/", include("apps_admin.urls")),
    path("chat/", include("chat.urls")),
    path("health", health.health, name="health"),
    path("accounts/", include("accounts.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("webhooks.urls")),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
