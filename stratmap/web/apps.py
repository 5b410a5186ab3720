from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "stratmap.web"
    label = "web"
    verbose_name = _("Web pages")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from stratmap.web.addresses import forget_failures

        user_logged_in.connect(forget_failures, dispatch_uid="stratmap-forget-login-failures")
