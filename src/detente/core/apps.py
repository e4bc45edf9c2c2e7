from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "detente.core"
    label = "core"
    verbose_name = "Detente"
