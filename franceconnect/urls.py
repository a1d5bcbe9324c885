from django.urls import path

from franceconnect import views

app_name = "franceconnect"

urlpatterns = [
    path("login/", views.franceconnect_login, name="login"),
    path("callback/", views.franceconnect_callback, name="callback"),
    path("lier/", views.franceconnect_link, name="link"),
    path("logout/", views.franceconnect_logout, name="logout"),
    path("logout/callback/", views.franceconnect_logout_callback, name="logout_callback"),
]
