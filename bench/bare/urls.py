from django.urls import path

from bench.bare import views

urlpatterns = [
    path("bench/plain", views.plain),
    path("healthz", views.healthz),
]
