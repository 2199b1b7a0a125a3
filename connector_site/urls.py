from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from connector_site import health

urlpatterns = [
    path("", accounts_views.home, name="home"),
    path("health", health.health, name="health"),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
