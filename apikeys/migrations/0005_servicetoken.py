# Service tokens move from the `api` app to `apikeys`, in place: the state moves
# (api.0003 deletes it there, without touching the database), the table keeps every row and
# is renamed api_servicetoken -> apikeys_servicetoken. Indexes and constraints keep their
# names. The admin permissions follow in 0006.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('apikeys', '0004_apikey_request_digest'),
        ('api', '0002_servicetoken_scopes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ServiceToken',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(help_text='The calling service.', max_length=100, unique=True)),
                        ('digest', models.CharField(editable=False, max_length=64, unique=True)),
                        ('hint', models.CharField(editable=False, max_length=32)),
                        ('scopes', models.CharField(default='verify', help_text='What the token may call: space-separated scope names (apikeys.models.Scope).', max_length=255)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('revoked_at', models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        'db_table': 'api_servicetoken',
                        'ordering': ['name'],
                        'permissions': [('revoke_servicetoken', 'Can revoke service tokens')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('scopes__regex', '^[a-z]+(-[a-z]+)*( [a-z]+(-[a-z]+)*)*$')), name='servicetoken_scopes_format')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(
            name='servicetoken',
            table=None,
        ),
    ]
