from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "detente.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib import admin
        from django.contrib.sessions.models import Session
        from django.db.models.signals import post_save

        from detente.accounts import checks  # noqa: F401  (registers the system check)
        from detente.accounts.forms import AdminSecondFactorAuthenticationForm
        from detente.accounts.services import holds_staff_role
        from detente.accounts.signals import remember_session

        # The admin is the only login today; it must ask for the code and obey the lockout.
        admin.site.login_form = AdminSecondFactorAuthenticationForm
        admin.site.login_template = "accounts/admin_login.html"
        # Who may open the admin at all: a staff role, as for every staff page (Django's own
        # test reads is_staff, a second source of truth an account could drift from).
        admin.site.has_permission = lambda request: holds_staff_role(request.user)  # type: ignore[method-assign]
        post_save.connect(remember_session, sender=Session, dispatch_uid="accounts.session")
