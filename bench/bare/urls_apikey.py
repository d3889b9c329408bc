"""djangorestframework-api-key's view as its documentation writes it."""

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_api_key.permissions import HasAPIKey

from bench.bare import views


class PeerApiKey(APIView):
    """`Authorization: Api-Key <key>`; the answer has verify's shape."""

    permission_classes = [HasAPIKey]

    def post(self, request: Request) -> Response:
        return Response(views.answer(request.data))


urlpatterns = [
    path("bench/peer-apikey", PeerApiKey.as_view()),
    path("healthz", views.healthz),
]
