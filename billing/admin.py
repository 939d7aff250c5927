from django import forms
from django.contrib import admin

from billing.models import ClientPackage, LedgerEntry, PackageProduct, PackageRedemption
from billing.package_forms import PackageProductAdminForm
from practice.admin_site import PracticeScopedAdmin
from practice.models import Service


@admin.register(LedgerEntry)
class LedgerEntryAdmin(PracticeScopedAdmin):
    """The ledger is append-only: it can be read here, never changed."""

    list_display = ["created_at", "kind", "amount", "currency", "label", "client_name", "practitioner", "service_date"]
    list_filter = ["kind", "practice"]
    search_fields = ["label", "client_name"]
    date_hierarchy = "created_at"
    list_select_related = ["practitioner"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PackageProduct)
class PackageProductAdmin(PracticeScopedAdmin):
    """Package products, with the checks of the Packages page (the practice's own services, a unique name)."""

    form = PackageProductAdminForm
    list_display = ["name", "session_count", "price", "validity_days", "weekly_limit", "is_active"]
    list_filter = ["is_active", "practice"]
    search_fields = ["name"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "services" and not request.user.is_superuser:
            kwargs["queryset"] = Service.objects.filter(practice=request.practice)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ClientPackageAdminForm(forms.ModelForm):
    class Meta:
        model = ClientPackage
        fields = ["expires_at"]

    def clean_expires_at(self):
        expires = self.cleaned_data["expires_at"]
        if expires is not None and expires <= self.instance.starts_at:
            raise forms.ValidationError("A package must expire after it starts.")
        return expires


@admin.register(ClientPackage)
class ClientPackageAdmin(PracticeScopedAdmin):
    """Clients' packages are assigned, sold and canceled from the client's account page; here they
    are read, and only the expiry can be moved (to extend a package)."""

    list_display = ["name", "client", "state", "session_count", "price", "paid_outside", "starts_at", "expires_at"]
    list_filter = ["state", "paid_outside", "practice"]
    search_fields = ["name", "client__email", "client__first_name", "client__last_name"]
    list_select_related = ["client"]
    form = ClientPackageAdminForm
    fields = ["practice", "product", "client", "name", "services", "session_count", "price", "weekly_limit", "state",
              "paid_outside", "starts_at", "expires_at", "checkout_session_id", "assigned_by", "created_at"]
    readonly_fields = [f for f in fields if f != "expires_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PackageRedemption)
class PackageRedemptionAdmin(PracticeScopedAdmin):
    """One row per session booked on a package: read only (a cancel voids it through the booking rules)."""

    practice_path = "client_package__practice"
    list_display = ["client_package", "session", "created_at", "voided_at", "void_reason"]
    list_filter = [("voided_at", admin.EmptyFieldListFilter)]
    list_select_related = ["client_package__client", "session"]
    fields = ["client_package", "session", "participant", "created_at", "voided_at", "void_reason"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
