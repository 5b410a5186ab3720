from decimal import Decimal

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("kpis", "0006_translations")]

    operations = [
        migrations.AddField(
            model_name="ratingpolicy",
            name="risk_high_below",
            field=models.DecimalField(
                decimal_places=3,
                default=Decimal("90"),
                help_text="Early warning: a KPI projected to reach less than this share of its target is at high risk.",
                max_digits=7,
                verbose_name="high risk below (%)",
            ),
        ),
        migrations.AddField(
            model_name="ratingpolicy",
            name="risk_medium_below",
            field=models.DecimalField(
                decimal_places=3,
                default=Decimal("100"),
                help_text=(
                    "Early warning: a KPI projected short of its target but at or above the high-risk limit is at "
                    "medium risk below this share, at low risk from it; 100: any shortfall is at least medium."
                ),
                max_digits=7,
                verbose_name="medium risk below (%)",
            ),
        ),
    ]
