# Invitations' addresses in their canonical form (accounts.addresses), compared exactly: the
# one-pending-invitation-per-address rule moves from lower(email) to the canonical column.
#
# One-way for the data: the reverse restores the lower(email) rule and keeps the canonical
# spellings. Two pending invitations of one owner that would hold the same address are
# refused, never merged (accounts.canonical_rows).

import accounts.addresses
from django.db import migrations, models

from accounts.canonical_rows import StoredAddress, canonical_rewrites


def canonicalize_invitations(apps, schema_editor):
    Invitation = apps.get_model("teams", "Invitation")
    rows = [
        StoredAddress(
            "teams_invitation",
            pk,
            email,
            unique_in=((("pending invitations of owner", owner_id),) if state == "pending" else ()),
        )
        for pk, email, owner_id, state in Invitation.objects.values_list(
            "pk", "email", "owner_id", "state"
        )
    ]
    for (_, pk), canonical in canonical_rewrites(rows).items():
        Invitation.objects.filter(pk=pk).update(email=canonical)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_email_canonical'),
        ('teams', '0003_projects_in_projects'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='invitation',
            name='invitation_one_pending_per_email',
        ),
        migrations.AlterField(
            model_name='invitation',
            name='email',
            field=models.EmailField(max_length=254, validators=[accounts.addresses.validate_email_canonicalizable]),
        ),
        migrations.RunPython(canonicalize_invitations, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='invitation',
            constraint=models.UniqueConstraint(condition=models.Q(('state', 'pending')), fields=('owner', 'email'), name='invitation_one_pending_per_address'),
        ),
    ]
