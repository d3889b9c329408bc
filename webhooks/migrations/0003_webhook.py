# A project's webhook settings leave Project for their own model: one Webhook row per existing
# project, with its URL, events and signing secret copied exactly (projects 0003 then drops the
# old columns). Projects created from now on get theirs when first needed.

import secrets

import django.db.models.deletion
from django.db import migrations, models

import webhooks.models


def copy_settings_from_projects(apps, schema_editor):
    Project = apps.get_model('projects', 'Project')
    Webhook = apps.get_model('webhooks', 'Webhook')
    rows = Project.objects.values_list('pk', 'webhook_url', 'webhook_events', 'webhook_secret')
    Webhook.objects.bulk_create(
        (
            Webhook(project_id=pk, url=url, events=events, secret=secret)
            for pk, url, events, secret in rows.iterator()
        ),
        batch_size=1000,
    )


def copy_settings_back_to_projects(apps, schema_editor):
    # Backwards: the columns were re-added with one evaluated default (the same secret for
    # all): a project without a Webhook row gets a fresh secret of its own, as 0002 of accounts
    # gave each project.
    Project = apps.get_model('projects', 'Project')
    Webhook = apps.get_model('webhooks', 'Webhook')
    hooks = {w.project_id: w for w in Webhook.objects.iterator()}
    for pk in Project.objects.values_list('pk', flat=True).iterator():
        hook = hooks.get(pk)
        if hook is None:
            Project.objects.filter(pk=pk).update(webhook_secret=secrets.token_hex(32))
        else:
            Project.objects.filter(pk=pk).update(
                webhook_url=hook.url, webhook_events=hook.events, webhook_secret=hook.secret
            )


class Migration(migrations.Migration):

    dependencies = [
        ('webhooks', '0002_delivery_project_in_projects'),
        ('projects', '0002_rename_table'),
    ]

    operations = [
        migrations.CreateModel(
            name='Webhook',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('url', models.URLField(blank=True, max_length=2048)),
                ('events', models.JSONField(blank=True, default=list)),
                ('secret', models.CharField(default=webhooks.models.new_webhook_secret, editable=False, max_length=64)),
                ('project', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='webhook', to='projects.project')),
            ],
        ),
        migrations.RunPython(copy_settings_from_projects, copy_settings_back_to_projects),
    ]
