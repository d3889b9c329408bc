# The access lists of memberships and invitations point at projects.Project: state only (the
# join tables, their columns and rows stay as they are).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('teams', '0002_invitation'),
        ('projects', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='membership',
                    name='projects',
                    field=models.ManyToManyField(blank=True, related_name='memberships', to='projects.project'),
                ),
                migrations.AlterField(
                    model_name='invitation',
                    name='projects',
                    field=models.ManyToManyField(blank=True, related_name='invitations', to='projects.project'),
                ),
            ],
            database_operations=[],
        ),
    ]
