from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("events/", views.delivery_list, name="delivery-list"),
    path("events/rows/", views.delivery_rows, name="delivery-rows"),
    path("events/export/", views.delivery_export, name="delivery-export"),
    path("events/<int:pk>/", views.delivery_detail, name="delivery-detail"),
    path("conversations/", views.conversation_list, name="conversation-list"),
    path("conversations/<int:pk>/", views.conversation_detail, name="conversation-detail"),
    path("conversations/<int:pk>/export/", views.conversation_export, name="conversation-export"),
]
