from django.apps import AppConfig


class ApikeysConfig(AppConfig):
    # What the verifier reads is tracked by the wiring (keyservice/wiring.py, READERS).
    name = "apikeys"
    verbose_name = "API keys"
