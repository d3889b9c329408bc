from typing import cast

from django import forms

from accounts.models import User
from projects.models import Project
from teams.models import Role


class _AccessForm(forms.Form):
    role = forms.ChoiceField(
        choices=Role.choices,
        widget=forms.RadioSelect,
        initial=Role.READONLY,
        help_text="Full access may change projects and upload builds; read-only may only read.",
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


class InviteForm(_AccessForm):
    email = forms.EmailField(max_length=254, help_text="They accept by signing in as this address.")
    field_order = ["email", "role", "projects"]


class MembershipForm(_AccessForm):
    pass
