# Project moves from accounts to projects, state only: the table (accounts_project) and every
# row stay where they are. Foreign keys to it are re-pointed next (teams, builds, webhooks,
# state only too), accounts then forgets it (accounts 0004), and 0002 renames the table.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import core.ids
import webhooks.models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0003_user_session_epoch'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Project',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('public_id', models.CharField(default=core.ids.new_public_id, editable=False, max_length=24, unique=True, validators=[core.ids.validate_public_id], verbose_name='projectId')),
                        ('name', models.CharField(max_length=200)),
                        ('status', models.CharField(choices=[('active', 'Active'), ('inactive', 'Inactive')], default='active', max_length=16)),
                        ('webhook_url', models.URLField(blank=True, max_length=2048)),
                        ('webhook_events', models.JSONField(blank=True, default=list)),
                        ('webhook_secret', models.CharField(default=webhooks.models.new_webhook_secret, editable=False, max_length=64)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='projects', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['name', 'id'],
                        'db_table': 'accounts_project',
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
