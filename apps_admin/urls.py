from django.urls import path

from apps_admin import views

app_name = "apps_admin"

urlpatterns = [
    path("new/", views.installation_create, name="create"),
    path("<str:client_id>/", views.installation_detail, name="detail"),
    path("<str:client_id>/edit/", views.installation_edit, name="edit"),
    path("<str:client_id>/secret/", views.installation_secret, name="secret"),
    path("<str:client_id>/enable/", views.installation_enable, name="enable"),
    path("<str:client_id>/disable/", views.installation_disable, name="disable"),
    path("<str:client_id>/demo/", views.installation_demo, name="demo"),
    path("<str:client_id>/restore/", views.installation_restore, name="restore"),
    path("<str:client_id>/uninstall/", views.installation_uninstall, name="uninstall"),
]
