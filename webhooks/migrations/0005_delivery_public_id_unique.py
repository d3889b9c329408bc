# Every delivery has its id now (0004): required and unique from here on, new rows get one
# from core.ids.new_public_id.

import core.ids
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('webhooks', '0004_delivery_public_id_webhook_retries'),
    ]

    operations = [
        migrations.AlterField(
            model_name='webhookdelivery',
            name='public_id',
            field=models.CharField(default=core.ids.new_public_id, editable=False, max_length=24, unique=True, verbose_name='delivery id'),
        ),
    ]
