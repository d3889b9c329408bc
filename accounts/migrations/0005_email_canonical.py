# Every stored address in its canonical form (accounts.addresses), compared exactly: users and
# allauth's address rows are rewritten, the lowercase-only unique index on users gives way to
# the unique index on the (canonical) column itself.
#
# One-way for the data: the reverse restores the lower(email) index and keeps the canonical
# spellings (the previous release reads them as it read every lowercased address; the original
# spellings are not kept). Collisions are refused, never merged (accounts.canonical_rows).

import accounts.addresses
from django.db import migrations, models

from accounts.canonical_rows import StoredAddress, canonical_rewrites


def canonicalize_addresses(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    users = [
        StoredAddress("users", pk, email, unique_in=(("users",),))
        for pk, email in User.objects.values_list("pk", "email")
    ]
    addresses = [
        StoredAddress(
            "account_emailaddress",
            pk,
            email,
            unique_in=(("addresses of user", user_id),) + ((("verified addresses",),) if verified else ()),
        )
        for pk, email, user_id, verified in EmailAddress.objects.values_list(
            "pk", "email", "user_id", "verified"
        )
    ]
    rewrites = canonical_rewrites([*users, *addresses])
    models_by_table = {"users": User, "account_emailaddress": EmailAddress}
    for (table, pk), canonical in rewrites.items():
        models_by_table[table].objects.filter(pk=pk).update(email=canonical)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_project_moves_to_projects'),
        ('account', '0009_emailaddress_unique_primary_email'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='user',
            name='user_email_ci_unique',
        ),
        migrations.AlterField(
            model_name='user',
            name='email',
            field=models.EmailField(max_length=254, unique=True, validators=[accounts.addresses.validate_email_canonicalizable], verbose_name='email address'),
        ),
        migrations.RunPython(canonicalize_addresses, migrations.RunPython.noop),
    ]
