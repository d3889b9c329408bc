# accounts forgets Project (state only): projects 0001 holds it now, with the same table, and
# every foreign key to it was re-pointed there first.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_user_session_epoch'),
        ('projects', '0001_initial'),
        ('builds', '0002_upload_project_in_projects'),
        ('teams', '0003_projects_in_projects'),
        ('webhooks', '0002_delivery_project_in_projects'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='Project')],
            database_operations=[],
        ),
    ]
