"""Who may use the administration, on what, and how its forms write.

**Scope.** The administration is for superusers and for the administrators of an organization
(``Membership`` role *administrator*), who see and change only what belongs to their organizations
and their descendants, as :mod:`stratmap.access` scopes every role. The role decides, not
Django's per-model permissions: a staff user without an administrator's role sees none of stratmap's
models. What belongs to nobody's organization (users, memberships, the audit trail) is the
superusers'; organizations and tags, which every organization shares, the administrators read and
the superusers change. Anything outside a person's scope answers 404, as on the pages.

**Writes.** :class:`AuditedAdmin` saves every form, with its inlines, through
:class:`stratmap.core.services.AdminWrite`: validated, each changed field audited with the reason the
form asks for, the owning map's version bumped. The change form carries the map's version it was
opened on and is refused, listing what changed meanwhile, once the map moved on; a deletion
(single, or the "delete selected" action) asks for its reason and is audited the same way.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modeltrans.conf import get_default_language  # type: ignore[import-untyped]
from modeltrans.fields import TranslatedVirtualField  # type: ignore[import-untyped]

from stratmap.access import Access, access_for
from stratmap.core.audit import Stale, check_reason
from stratmap.core.audit_text import audit_action, audit_field, audit_value
from stratmap.core.forms import map_version_field
from stratmap.core.models import Membership, Organization
from stratmap.core.services import AdminWrite, is_versioned, owner_check, snapshot, version_of

ADMINISTRATOR = Membership.Role.ADMINISTRATOR
#: The fields every audited form adds to the model's own.
REASON, VERSION = "change_reason", "map_version"
AUDIT_FIELDS = (REASON, VERSION)
REASON_REQUIRED = _("Say why: every change is kept in the audit trail with its reason.")


def stale_message(stale: Stale) -> str:
    """The refusal of a stale form, with each change made since it was opened, worded as the pages word
    it (web/_conflict.html): at local time, each field by its name in the reader's language."""
    changes = [
        f"{timezone.localtime(e.at):%Y-%m-%d %H:%M} {e.username} "
        f"{audit_field(e.field) if e.field else audit_action(e.action)} "
        f"“{audit_value(e.old, e.field)}” → “{audit_value(e.new, e.field)}”" + (f" ({e.reason})" if e.reason else "")
        for e in stale.meanwhile
    ]
    return " ".join([str(stale), *([gettext("What changed meanwhile") + "：" + "；".join(changes)] if changes else [])])


def _follow(obj: models.Model | None, path: str | None) -> models.Model | None:
    """The object at the end of ``path`` (``objective__map``) from ``obj``; ``obj`` itself for ""."""
    if obj is None or path is None:
        return None
    for step in filter(None, path.split("__")):
        obj = getattr(obj, step, None)
        if obj is None:
            return None
    return obj


def _is_superuser(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_superuser


# --- scope -------------------------------------------------------------------------------------


# The admin classes here are generic in django-stubs (ModelAdmin[Model]) but not in Django, where
# ModelAdmin[...] fails at import: they are named bare, which mypy reads as of any model.


class ScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows belong to an organization, seen and changed by its administrators.

    ``map_path`` leads from a row to the strategy map it belongs to (``objective__map``; ``""`` for a
    map itself; None for rows of no map); ``organization_path`` to its organization (derived from
    ``map_path`` when None; ``""`` for an organization itself). ``kpi_path`` leads to the KPI whose
    history shows the row's changes. ``superusers_only``: only superusers see it; ``superusers_write``:
    administrators read it, only superusers change it.
    """

    map_path: str | None = None
    organization_path: str | None = None
    kpi_path: str | None = None
    superusers_only = False
    superusers_write = False

    @property
    def scope_path(self) -> str | None:
        if self.organization_path is not None:
            return self.organization_path
        if self.map_path is not None:
            return f"{self.map_path}__organization" if self.map_path else "organization"
        return None

    def owner(self, obj: models.Model | None) -> models.Model | None:
        """The map ``obj`` belongs to, or its organization when it belongs to no map."""
        if self.map_path is not None:
            return _follow(obj, self.map_path)
        return _follow(obj, self.scope_path)

    def kpi(self, obj: models.Model) -> models.Model | None:
        return _follow(obj, self.kpi_path)

    def access(self, request: HttpRequest) -> Access:
        return access_for(request)

    def _administers_somewhere(self, request: HttpRequest) -> bool:
        return bool(self.access(request).organizations(ADMINISTRATOR))

    def _in_scope(self, request: HttpRequest, obj: models.Model) -> bool:
        owner = self.owner(obj)
        if owner is None:
            return self.scope_path is None  # shared data (tags): not any organization's
        return self.access(request).is_administrator(owner)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_superuser(request) or (not self.superusers_only and self._administers_somewhere(request))

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        if _is_superuser(request):
            return True
        if self.superusers_only or not self._administers_somewhere(request):
            return False
        return obj is None or self._in_scope(request, obj)

    def _writes(self, request: HttpRequest, obj: models.Model | None) -> bool:
        if _is_superuser(request):
            return True
        if self.superusers_only or self.superusers_write or self.scope_path is None:
            return False
        if not self._administers_somewhere(request):
            return False
        return obj is None or self._in_scope(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._writes(request, None)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._writes(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._writes(request, obj)

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if _is_superuser(request) or self.scope_path is None:
            return rows
        mine = self.access(request).organizations(ADMINISTRATOR)
        return rows.filter(**{f"{self.scope_path or 'pk'}__in": mine})

    def get_object(self, request, object_id, from_field=None):
        """Outside the person's scope, or nowhere: 404 either way, saying nothing about what exists."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """The choices of a field that says where a row belongs (its map, objective, KPI …) are the
        person's scope; references to other organizations (a theme's group, agencies) are not limited."""
        if not _is_superuser(request) and "queryset" not in kwargs:
            related = self.admin_site._registry.get(db_field.related_model)
            if isinstance(related, ScopedAdmin) and related.scope_path:
                kwargs["queryset"] = related.get_queryset(request)
            elif db_field.related_model is Organization and db_field.name == self.scope_path:
                kwargs["queryset"] = Organization.objects.filter(
                    pk__in=self.access(request).organizations(ADMINISTRATOR)
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def translation_fields(model: type[models.Model]) -> dict[str, list[str]]:
    """Each translated field of ``model`` → its translations' form fields (name → name_zh_hant, name_en)."""
    found: dict[str, list[str]] = {}
    for f in model._meta.private_fields:
        if isinstance(f, TranslatedVirtualField) and f.language not in (None, get_default_language()) and f.editable:
            found.setdefault(f.original_name, []).append(f.name)
    return found


def own_language(obj: models.Model | None) -> str | None:
    """The language ``obj``'s own text is written in (its organization's), following its relations up to the
    organization (the admin may spend a query on it); None for a new object."""
    row: Any = obj
    for name in getattr(obj, "LANGUAGE_FROM", ()):
        row = getattr(row, name, None)
    language = getattr(row, "language", None)
    return language if isinstance(language, str) else None


def with_translations(
    model: type[models.Model], fields: list[Any], *, side_by_side: bool = False, own: str | None = None
) -> list[Any]:
    """``fields`` of a form with each translated field's translations right after it (on its line, with
    ``side_by_side``, for a one-line text), wherever else they were; none into ``own``, the language the
    field itself is written in (a translation into it would never be shown)."""
    suffix = f"_{own.replace('-', '_').lower()}" if own else None
    translations = {
        field: [name for name in names if suffix is None or not name.endswith(suffix)]
        for field, names in translation_fields(model).items()
    }
    placed = {name for names in translation_fields(model).values() for name in names}
    result: list[Any] = []
    for item in fields:
        if not isinstance(item, str) or item not in translations:
            if not (isinstance(item, str) and item in placed):
                result.append(item)
            continue
        one_line = isinstance(model._meta.get_field(item), models.CharField)
        if side_by_side and one_line:
            result.append((item, *translations[item]))
        else:
            result += [item, *translations[item]]
    return result


class ReadOnlyAdmin(ScopedAdmin):
    """A record nobody changes in the administration (the audit trail, the notifications sent): listed only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TranslationsBeside:
    """For an admin page or inline: each translated field's translations (name_en) beside it."""

    model: Any  # the admin's or inline's model

    def get_fieldsets(self, request, obj=None):
        # An inline's obj is its parent, written in the same language as its rows.
        side_by_side = not isinstance(self, InlineModelAdmin)
        own = own_language(obj)
        return [
            (
                name,
                {
                    **options,
                    "fields": with_translations(
                        self.model, list(options["fields"]), side_by_side=side_by_side, own=own
                    ),
                },
            )
            for name, options in super().get_fieldsets(request, obj)  # type: ignore[misc]
        ]


class ScopedInline(TranslationsBeside, InlineModelAdmin):
    """An inline may what its parent's admin may, on the parent object."""

    def _parent(self) -> ScopedAdmin | None:
        parent = self.admin_site._registry.get(self.parent_model)
        return parent if isinstance(parent, ScopedAdmin) else None

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        parent = self._parent()
        return parent.has_view_permission(request, obj) if parent else super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        parent = self._parent()
        return parent.has_change_permission(request, obj) if parent else super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        parent = self._parent()
        return parent.has_change_permission(request, obj) if parent else super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        parent = self._parent()
        return parent.has_change_permission(request, obj) if parent else super().has_delete_permission(request, obj)


# --- audited writes ------------------------------------------------------------------------------


class AuditFields(forms.ModelForm):
    """The reason for the change, and the owning map's version the form was opened on.

    The reason is required when the form changes something (its own fields or an inline's): what
    changes nothing writes nothing and needs no reason. The version is checked, and the map locked
    until the save ends, once per form, here: a stale form never reaches the save.
    """

    change_reason = forms.CharField(
        label=_("reason for the change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("Required when you change something; kept in the audit trail with the change."),
    )
    #: Set by AuditedAdmin.get_form: the request (for its inlines) and the owner the form was opened on.
    audit_request: HttpRequest | None = None
    audit_owner: models.Model | None = None

    def _changes_something(self) -> bool:
        """Whether saving would change what is stored: the object as the form made it against the
        stored row (not ``has_changed``, which takes a JSON list posted in another spelling for a
        change), its many-to-many choices, or any inline row."""
        if self.instance._state.adding:
            return True
        stored = type(self.instance)._base_manager.filter(pk=self.instance.pk).first()
        if stored is None or snapshot(obj=stored, related=False) != snapshot(obj=self.instance, related=False):
            return True
        for f in self.instance._meta.many_to_many:
            if f.name in self.cleaned_data:
                chosen = {o.pk for o in self.cleaned_data[f.name]}
                if chosen != set(getattr(stored, f.name).values_list("pk", flat=True)):
                    return True
        formsets = getattr(self.audit_request, "_stratmap_admin_formsets", ())
        return any(formset.has_changed() for formset in formsets)

    def _post_clean(self) -> None:
        # django-stubs leaves out BaseModelForm._post_clean, the step that builds the instance.
        super()._post_clean()  # type: ignore[misc]  # the instance now holds what the form would save
        reason = (self.cleaned_data.get(REASON) or "").strip()
        if reason:
            try:
                check_reason(reason)
            except ValidationError as error:
                self.add_error(REASON, error.message_dict["reason"])
        elif self._changes_something():
            self.add_error(REASON, REASON_REQUIRED)

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        owner = self.audit_owner  # never None with a version field: AuditedAdmin.get_form adds it for an owner
        if data is not None and owner is not None and VERSION in self.fields and data.get(VERSION) is not None:
            try:
                owner_check(owner=owner, version=data[VERSION])
            except Stale as stale:
                raise ValidationError(stale_message(stale)) from None
        return data


class AuditedAdmin(TranslationsBeside, ScopedAdmin):
    """A ModelAdmin whose writes go through :class:`~stratmap.core.services.AdminWrite`; see the
    module's docstring."""

    delete_confirmation_template = "admin/stratmap/delete_confirmation.html"
    delete_selected_confirmation_template = "admin/stratmap/delete_selected_confirmation.html"

    # --- the form ---------------------------------------------------------------------------

    def _owner_of_stored(self, obj: models.Model | None) -> models.Model | None:
        return self.owner(obj) if obj is not None and obj.pk is not None else None

    def get_form(self, request, obj=None, change=False, **kwargs):
        if "fields" not in kwargs:  # as Django's get_form would, but without the fields added here
            kwargs["fields"] = flatten_fieldsets(self.get_fieldsets(request, obj))
        if kwargs["fields"]:
            kwargs["fields"] = [name for name in kwargs["fields"] if name not in AUDIT_FIELDS]
        form = super().get_form(request, obj, change=change, **kwargs)
        owner = self._owner_of_stored(obj)
        attrs = {"audit_request": request, "audit_owner": owner}
        version = version_of(owner=owner)
        if version is not None:
            version_field = map_version_field()
            version_field.initial = version
            attrs[VERSION] = version_field
        return type(form.__name__, (AuditFields, form), attrs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (name, {**options, "fields": [f for f in options["fields"] if f not in AUDIT_FIELDS]})
            for name, options in super().get_fieldsets(request, obj)
        ]
        if obj is not None and not self.has_change_permission(request, obj):
            return fieldsets  # read only: nothing to say why, no version to carry
        audit = [REASON, *([VERSION] if is_versioned(owner=self._owner_of_stored(obj)) else [])]
        return [*fieldsets, (_("Reason for the change"), {"fields": audit})]

    def _create_formsets(
        self, request, obj: models.Model | None, change: bool
    ) -> tuple[list[BaseInlineFormSet], list[InlineModelAdmin]]:
        # The form's clean (which runs after this) needs the inlines to know whether anything changes:
        # the request carries their formsets to it (hence a request of no declared type).
        # django-stubs leaves out ModelAdmin._create_formsets, the step that builds the inlines' formsets.
        formsets, inlines = super()._create_formsets(request, obj, change)  # type: ignore[misc]
        request._stratmap_admin_formsets = formsets
        return formsets, inlines

    # --- saving -----------------------------------------------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as refused:
            # What the form could not see (an inline's row the model refuses as a whole): nothing
            # was saved (the view's transaction rolled back); say what, on the same page.
            messages.error(request, " ".join(refused.messages))
            return redirect(request.get_full_path())

    def _owner_in_registry(self, obj: models.Model) -> ScopedAdmin:
        model_admin = self.admin_site._registry.get(type(obj))
        if not isinstance(model_admin, ScopedAdmin):  # an inline of a model without its own admin
            raise PermissionDenied
        return model_admin

    def _save(self, write: AdminWrite, obj: models.Model) -> None:
        model_admin = self._owner_in_registry(obj)
        stored = type(obj)._base_manager.filter(pk=obj.pk).first() if obj.pk is not None else None
        write.save(
            obj,
            owner=model_admin.owner(obj),
            stored_owner=model_admin.owner(stored) if stored is not None else None,
            kpi=model_admin.kpi(obj),
        )

    def _delete(self, write: AdminWrite, obj: models.Model) -> None:
        model_admin = self._owner_in_registry(obj)
        write.delete(obj, owner=model_admin.owner(obj), kpi=model_admin.kpi(obj))

    def save_model(self, request, obj, form, change):
        request._stratmap_admin_write = write = AdminWrite(
            access=self.access(request), reason=form.cleaned_data.get(REASON) or ""
        )
        self._save(write, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        request._stratmap_admin_write.finish()

    def save_formset(self, request, form, formset, change):
        write: AdminWrite = request._stratmap_admin_write
        for obj in formset.save(commit=False):
            self._save(write, obj)
        for obj in formset.deleted_objects:
            self._delete(write, obj)
        formset.save_m2m()

    # --- deleting ---------------------------------------------------------------------------

    def delete_view(self, request, object_id, extra_context=None):
        if request.method == "POST":
            problem = _reason_problem(request)
            if problem:
                messages.error(request, problem)
                return redirect(request.get_full_path())
            try:
                return super().delete_view(request, object_id, extra_context)
            except Stale as stale:
                messages.error(request, stale_message(stale))
                return redirect(request.get_full_path())
        obj = self.get_object(request, unquote(object_id))
        owner = self.owner(obj)
        context = {"audit_version": version_of(owner=owner), **(extra_context or {})}
        return super().delete_view(request, object_id, context)

    def delete_model(self, request, obj):
        owner = self.owner(obj)  # a map's own is the map
        if owner is not None and is_versioned(owner=owner):
            seen = request.POST.get(VERSION, "")
            owner_check(owner=owner, version=int(seen) if seen.isdigit() else None)
        write = AdminWrite(access=self.access(request), reason=request.POST.get(REASON, ""))
        self._delete(write, obj)
        write.finish()

    def delete_queryset(self, request, queryset):
        """The "delete selected" action: each object audited with the reason given for all of them.
        The list shows no map versions, so the confirmation page's list is what is deleted."""
        with transaction.atomic():
            write = AdminWrite(access=self.access(request), reason=request.POST.get(REASON, ""))
            for obj in queryset:
                self._delete(write, obj)
            write.finish()

    def get_actions(self, request):
        actions = super().get_actions(request)
        if (action := actions.get("delete_selected")) is not None:
            _function, name, description = action
            actions["delete_selected"] = (delete_selected_with_reason, name, description)
        return actions


def _reason_problem(request: HttpRequest) -> str | None:
    reason = request.POST.get(REASON, "").strip()
    if not reason:
        return str(REASON_REQUIRED)
    try:
        check_reason(reason)
    except ValidationError as error:
        return " ".join(error.message_dict["reason"])
    return None


def delete_selected_with_reason(modeladmin, request, queryset):
    """Django's "delete selected", asking for the reason on its confirmation page."""
    if request.POST.get("post"):
        problem = _reason_problem(request)
        if problem:
            messages.error(request, problem)
            request.POST = request.POST.copy()
            del request.POST["post"]  # show the confirmation page again
    return delete_selected(modeladmin, request, queryset)
