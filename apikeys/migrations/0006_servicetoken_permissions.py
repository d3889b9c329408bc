# The service token admin permissions follow the model from `api` to `apikeys`
# (api.view_servicetoken -> apikeys.view_servicetoken, api.revoke_servicetoken ->
# apikeys.revoke_servicetoken, ...): the content type row is relabelled, so its permissions,
# every operator's and group's grants of them and the admin log entries keep working.

from django.conf import settings
from django.db import migrations

MODEL = "servicetoken"


def _relabel(apps, *, old_label: str, new_label: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    old = ContentType.objects.filter(app_label=old_label, model=MODEL).first()
    if old is None:
        return  # a fresh database: post_migrate creates the new rows
    new = ContentType.objects.filter(app_label=new_label, model=MODEL).first()
    if new is None:
        old.app_label = new_label
        old.save(update_fields=["app_label"])
        return
    # Both exist (the new one was created meanwhile): move the grants onto the new rows.
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    LogEntry = apps.get_model("admin", "LogEntry")
    for perm in Permission.objects.filter(content_type=old):
        target, _ = Permission.objects.get_or_create(
            content_type=new, codename=perm.codename, defaults={"name": perm.name}
        )
        for through, owner in (
            (User.user_permissions.through, "user_id"),
            (Group.permissions.through, "group_id"),
        ):
            for row in through.objects.filter(permission=perm):
                through.objects.get_or_create(
                    **{owner: getattr(row, owner)}, permission=target
                )
    LogEntry.objects.filter(content_type=old).update(content_type=new)
    old.delete()


def forwards(apps, schema_editor):
    _relabel(apps, old_label="api", new_label="apikeys")


def backwards(apps, schema_editor):
    _relabel(apps, old_label="apikeys", new_label="api")


class Migration(migrations.Migration):

    dependencies = [
        ('apikeys', '0005_servicetoken'),
        ('admin', '0003_logentry_add_action_flag_choices'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
