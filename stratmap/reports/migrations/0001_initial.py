import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('strategy', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ReportFile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('pdf', 'PDF'), ('pptx', 'PowerPoint')], max_length=4, verbose_name='kind')),
                ('theme', models.CharField(blank=True, max_length=10, verbose_name='theme')),
                ('language', models.CharField(max_length=10, verbose_name='language')),
                ('scope', models.CharField(max_length=64, verbose_name='access scope')),
                ('data_version', models.CharField(max_length=64, verbose_name='data version')),
                ('status', models.CharField(choices=[('queued', 'queued'), ('rendering', 'rendering'), ('ready', 'ready'), ('failed', 'failed')], default='queued', max_length=10, verbose_name='status')),
                ('file_name', models.CharField(blank=True, max_length=100, verbose_name='file name')),
                ('size', models.PositiveIntegerField(blank=True, null=True, verbose_name='size (bytes)')),
                ('error', models.TextField(blank=True, verbose_name='error')),
                ('requested_at', models.DateTimeField(auto_now_add=True, verbose_name='requested')),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='started')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished')),
                ('map', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='report_files', to='strategy.strategymap', verbose_name='map')),
                ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='requested by')),
            ],
            options={
                'verbose_name': 'report file',
                'verbose_name_plural': 'report files',
                'constraints': [models.UniqueConstraint(fields=('map', 'kind', 'theme', 'language', 'scope', 'data_version'), name='unique_report_file')],
            },
        ),
    ]
