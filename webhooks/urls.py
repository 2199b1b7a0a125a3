from django.urls import path

from webhooks import views, views_sends

app_name = "webhooks"

urlpatterns = [
    path("events/", views.delivery_list, name="delivery-list"),
    path("events/rows/", views.delivery_rows, name="delivery-rows"),
    path("events/export/", views.delivery_export, name="delivery-export"),
    path("events/<int:pk>/", views.delivery_detail, name="delivery-detail"),
    path("events/<int:pk>/replay/", views_sends.delivery_replay, name="delivery-replay"),
    path(
        "events/apps/<str:client_id>/test-notification/",
        views_sends.app_test_notification,
        name="app-test-notification",
    ),
    path("conversations/", views.conversation_list, name="conversation-list"),
    path("conversations/rows/", views.conversation_rows, name="conversation-rows"),
    path("conversations/<int:pk>/", views.conversation_detail, name="conversation-detail"),
    path("conversations/<int:pk>/export/", views.conversation_export, name="conversation-export"),
]
