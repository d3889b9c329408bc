from django.urls import path

from bench import views
from keyservice.urls import urlpatterns as service_urlpatterns

# The service's routes first, in their own order (the APIs at the top), as in production.
urlpatterns = [
    *service_urlpatterns,
    path("bench/plain", views.plain),
    path("bench/drf", views.DrfOpen.as_view()),
    path("bench/peer-apikey", views.PeerApiKey.as_view()),
    path("bench/peer-knox", views.PeerKnox.as_view()),
]
