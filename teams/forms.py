from typing import Any, cast

from django import forms

from accounts.models import User
from projects.models import Project
from teams.models import Role


class _AccessForm(forms.Form):
    # The roles by the one name they have everywhere (the API's `role`, the pages' badges).
    role = forms.ChoiceField(
        choices=[
            (Role.FULL.value, "FULL: may change projects and upload builds"),
            (Role.READONLY.value, "READONLY: may only read"),
        ],
        widget=forms.RadioSelect,
        initial=Role.READONLY,
    )
    projects = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The projects of your account this person can reach.",
    )

    def __init__(self, *args, owner: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._projects = {p.public_id: p for p in Project.objects.filter(owner=owner)}
        # `fields` is typed as plain Fields; "projects" is the MultipleChoiceField declared above.
        projects = cast(forms.MultipleChoiceField, self.fields["projects"])
        projects.choices = [(pid, p.name) for pid, p in self._projects.items()]

    def selected_projects(self) -> list[Project]:
        return [self._projects[pid] for pid in self.cleaned_data["projects"]]


NO_PROJECT_QUESTION = (
    "No project is ticked: they would join your team with access to none of your projects "
    "until you give them some. Tick projects above, or send the invitation anyway."
)


class InviteForm(_AccessForm):
    email = forms.EmailField(max_length=254, help_text="They accept by signing in as this address.")
    # Sent by the "Send without projects" button, after the form asked (NO_PROJECT_QUESTION).
    without_projects = forms.BooleanField(required=False, widget=forms.HiddenInput)
    field_order = ["email", "role", "projects"]

    def clean(self) -> dict[str, Any]:
        super().clean()  # Form.clean returns self.cleaned_data (the stubs allow None)
        data = self.cleaned_data
        asked = self._projects and not data.get("projects") and not data.get("without_projects")
        if asked and "projects" not in self.errors:
            self.add_error("projects", forms.ValidationError(NO_PROJECT_QUESTION, code="none"))
        return data

    @property
    def asks_about_projects(self) -> bool:
        return any(e.code == "none" for e in self.errors.as_data().get("projects", []))


class MembershipForm(_AccessForm):
    pass
