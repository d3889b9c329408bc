"""The row names its subject by kind and id (subject_id), not by a foreign key to an app's
model: in place, every row kept. subject_id is copied from api_key_id / invitation_id, then
those columns are dropped. Reversible: going back copies subject_id into the column of the
row's kind (left empty when that key or invitation no longer exists)."""

from django.db import migrations, models

import outbox.composers

KEY_KINDS = ["api_key", "leak_notice"]
INVITATION_KINDS = ["invitation"]


def subject_from_foreign_keys(apps, schema_editor):
    OutboxEmail = apps.get_model("outbox", "OutboxEmail")
    OutboxEmail.objects.filter(api_key__isnull=False).update(subject_id=models.F("api_key_id"))
    OutboxEmail.objects.filter(invitation__isnull=False).update(
        subject_id=models.F("invitation_id")
    )


def foreign_keys_from_subject(apps, schema_editor):
    OutboxEmail = apps.get_model("outbox", "OutboxEmail")
    ApiKey = apps.get_model("apikeys", "ApiKey")
    Invitation = apps.get_model("teams", "Invitation")
    OutboxEmail.objects.filter(
        kind__in=KEY_KINDS, subject_id__in=ApiKey.objects.values("pk")
    ).update(api_key_id=models.F("subject_id"))
    OutboxEmail.objects.filter(
        kind__in=INVITATION_KINDS, subject_id__in=Invitation.objects.values("pk")
    ).update(invitation_id=models.F("subject_id"))


class Migration(migrations.Migration):
    dependencies = [
        ("apikeys", "0001_initial"),
        ("outbox", "0003_outboxemail_leak_notice"),
        ("teams", "0002_invitation"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxemail",
            name="subject_id",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(subject_from_foreign_keys, foreign_keys_from_subject),
        migrations.RemoveField(model_name="outboxemail", name="api_key"),
        migrations.RemoveField(model_name="outboxemail", name="invitation"),
        migrations.AlterField(
            model_name="outboxemail",
            name="kind",
            field=models.CharField(choices=outbox.composers.kind_choices, max_length=32),
        ),
    ]
