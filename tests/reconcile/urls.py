"""The reconciliation router mounted on an API of its own, until the lead mounts it on
``detente.api.main`` (a router belongs to one API, so the tests build a fresh one)."""

from __future__ import annotations

from django.urls import path
from ninja import NinjaAPI

from detente.api import errors
from detente.api.auth import TokenAuth
from detente.api.routes.imports import build_router

api = NinjaAPI(title="reconcile-test", auth=TokenAuth(), urls_namespace="reconcile-test")
errors.install(api)
api.add_router("", build_router())

urlpatterns = [path("api/", api.urls)]
