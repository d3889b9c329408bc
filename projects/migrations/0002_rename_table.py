# The table takes the projects app's name, renamed in place (every row, id and foreign key
# kept; the foreign keys follow the table).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0001_initial'),
        ('accounts', '0004_project_moves_to_projects'),
    ]

    operations = [
        migrations.AlterModelTable(name='project', table=None),
    ]
