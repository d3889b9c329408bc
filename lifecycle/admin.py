from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from core.admin import ReadOnlyAdmin
from core.errors import ApplicationError
from lifecycle.events import LifecycleEvent
from lifecycle.models import LifecycleDelivery, Subscriber
from lifecycle.networks import loopback_warning, networks_loopback
from lifecycle.services import subscriber_create, subscriber_validate


class SubscriberForm(forms.ModelForm):
    """Events as checkboxes, the allow-list one network per line. The secret is no field: it
    is generated on creation and shown once on the page that follows."""

    event_choices = forms.MultipleChoiceField(
        label="Events",
        choices=[(e.value, e.value) for e in LifecycleEvent],
        widget=forms.CheckboxSelectMultiple,
    )
    networks_text = forms.CharField(
        label="Allowed private networks",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One address or CIDR per line (10.0.0.0/8, fd00::/8). Empty: public "
        "addresses only. Link-local and metadata addresses are never allowed; loopback "
        "(127.0.0.0/8, ::1) is, with a warning: it reaches this service's own host.",
    )

    class Meta:
        model = Subscriber
        fields = ["name", "url", "active"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["event_choices"] = list(self.instance.events)
            self.initial["networks_text"] = "\n".join(self.instance.allowed_networks)

    def clean(self) -> dict:
        data = super().clean() or {}
        networks = [n for n in (data.get("networks_text") or "").split() if n]
        try:
            events, stored = subscriber_validate(
                name=data.get("name") or "",
                url=data.get("url") or "",
                events=data.get("event_choices") or [],
                allowed_networks=networks,
            )
        except ApplicationError as exc:
            names = {"allowedNetworks": "networks_text", "events": "event_choices"}
            raise ValidationError(
                {names.get(k, k): v for k, v in exc.fields.items()} or exc.message
            ) from None
        data["events"], data["allowed_networks"] = events, stored
        return data


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    """Internal subscribers of the lifecycle events. Never shows the secret: it is shown once,
    after creation (or by `manage.py subscriber_add`)."""

    form = SubscriberForm
    list_display = ["name", "url", "events", "allowed_networks", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    readonly_fields = ["public_id", "created_at"]

    def save_model(self, request: HttpRequest, obj: Subscriber, form, change: bool) -> None:
        data = form.cleaned_data
        if warning := loopback_warning(networks_loopback(data["allowed_networks"])):
            self.message_user(request, warning, messages.WARNING)
        if change:
            obj.events, obj.allowed_networks = data["events"], data["allowed_networks"]
            obj.save()
            return
        created = subscriber_create(
            name=data["name"],
            url=data["url"],
            events=data["events"],
            allowed_networks=data["allowed_networks"],
        )
        obj.pk = created.subscriber.pk
        # Handed to response_add on the same request; HttpRequest does not declare it.
        request._subscriber_secret = created.secret  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: Subscriber, post_url_continue=None):
        secret = getattr(request, "_subscriber_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        response: HttpResponse = TemplateResponse(
            request,
            "admin/lifecycle/subscriber/created.html",
            {**self.admin_site.each_context(request), "secret": secret, "obj": obj},
        )
        response["Cache-Control"] = "no-store"
        return response


@admin.register(LifecycleDelivery)
class LifecycleDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "event", "subscriber", "state", "attempts", "status_code"]
    list_filter = ["state", "event"]
    search_fields = ["public_id", "subscriber__name"]
    list_select_related = ["subscriber"]
    readonly_fields = ["public_id", "subscriber", "event", "payload", "state", "attempts"]
