# The webhook columns go, now that webhooks 0003 copied them into webhooks.Webhook.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0002_rename_table'),
        ('webhooks', '0003_webhook'),
    ]

    operations = [
        migrations.RemoveField(model_name='project', name='webhook_events'),
        migrations.RemoveField(model_name='project', name='webhook_secret'),
        migrations.RemoveField(model_name='project', name='webhook_url'),
    ]
