from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "stratmap.web"
    label = "web"
    verbose_name = _("Web pages")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.core import checks

        from stratmap.web import checks as ours
        from stratmap.web.addresses import forget_failures

        user_logged_in.connect(forget_failures, dispatch_uid="stratmap-forget-login-failures")
        checks.register(ours.time_zones)
        checks.register(ours.open_data_licence)
