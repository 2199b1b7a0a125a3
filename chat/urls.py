from django.urls import path

from chat import views, views_files

app_name = "chat"

urlpatterns = [
    path("", views.conversation_list, name="list"),
    path("new/", views.conversation_start, name="start"),
    path("<int:pk>/", views.conversation_detail, name="detail"),
    path("<int:pk>/files/", views_files.file_upload, name="upload"),
    path("<int:pk>/files/download", views_files.file_download, name="download"),
]
