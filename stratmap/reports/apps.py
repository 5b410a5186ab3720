from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "stratmap.reports"
    label = "reports"
    verbose_name = "Reports"
