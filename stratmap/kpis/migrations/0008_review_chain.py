"""The review chain per organization (issue 16 item 4): its steps, and the step a submitted result waits at.

Every existing result is at step 1 (the default): a submitted one waits at its chain's first step, which
for an organization without a chain is the one review there was before.
"""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

import stratmap.core.fields


class Migration(migrations.Migration):
    dependencies = [("kpis", "0007_early_warning")]

    operations = [
        migrations.AddField(
            model_name="kpiresult",
            name="review_step",
            field=models.PositiveSmallIntegerField(
                default=1, validators=[django.core.validators.MinValueValidator(1)], verbose_name="review step"
            ),
        ),
        migrations.CreateModel(
            name="ReviewStep",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "order",
                    models.PositiveSmallIntegerField(
                        validators=[django.core.validators.MinValueValidator(1)], verbose_name="order"
                    ),
                ),
                (
                    "name",
                    models.CharField(
                        max_length=100, validators=[stratmap.core.fields.TextValidator()], verbose_name="name"
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        choices=[("coordinator", "theme coordinator"), ("office", "evaluation office")],
                        help_text="Who approves or returns a result at this step.",
                        max_length=20,
                        verbose_name="who acts",
                    ),
                ),
                (
                    "i18n",
                    stratmap.core.fields.Translations(fields=("name",), required_languages=(), virtual_fields=True),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="review_steps",
                        to="core.organization",
                        verbose_name="organization",
                    ),
                ),
            ],
            options={
                "verbose_name": "review step",
                "verbose_name_plural": "review chain",
                "ordering": ["organization_id", "order"],
                "constraints": [models.UniqueConstraint(fields=("organization", "order"), name="unique_review_step")],
            },
        ),
    ]
