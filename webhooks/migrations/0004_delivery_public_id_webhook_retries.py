# Each delivery gets a stable public id (sent as X-Keyservice-Delivery on every attempt): the
# column is added empty and every existing row gets an id of its own here, in batches (one
# evaluated default would give them all the same); 0005 then makes it required and unique.
# Webhook.retries: on for every existing project, as before.

import secrets

from django.db import migrations, models

BATCH = 1000


def give_each_delivery_an_id(apps, schema_editor):
    Delivery = apps.get_model('webhooks', 'WebhookDelivery')
    while True:
        rows = list(Delivery.objects.filter(public_id__isnull=True).only('pk')[:BATCH])
        if not rows:
            return
        for row in rows:
            row.public_id = secrets.token_hex(12)  # core.ids.new_public_id, as of now
        Delivery.objects.bulk_update(rows, ['public_id'])


class Migration(migrations.Migration):

    dependencies = [
        ('webhooks', '0003_webhook'),
    ]

    operations = [
        migrations.AddField(
            model_name='webhook',
            name='retries',
            field=models.BooleanField(default=True, help_text='Retry a delivery the receiver cannot have processed (not connected, or answered 429, 502, 503 or 504). Off: one attempt only.', verbose_name='retry deliveries'),
        ),
        migrations.AddField(
            model_name='webhookdelivery',
            name='public_id',
            field=models.CharField(editable=False, max_length=24, null=True, verbose_name='delivery id'),
        ),
        migrations.RunPython(give_each_delivery_an_id, migrations.RunPython.noop),
    ]
