# Service tokens moved to the `apikeys` app (apikeys.0005 takes the model's state and renames
# its table in place): here the model leaves the state only, the database is untouched. The
# `api` app has no models left; its migrations stay for history.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0002_servicetoken_scopes'),
        ('apikeys', '0005_servicetoken'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='ServiceToken')],
            database_operations=[],
        ),
    ]
