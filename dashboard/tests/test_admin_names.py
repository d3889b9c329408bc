"""The admin says the product's name, and no two of its sections share one."""

from collections import Counter

import pytest
from django.contrib import admin


def test_no_two_admin_sections_share_a_name():
    names = Counter(str(model._meta.app_config.verbose_name) for model in admin.site._registry)
    sections = {model._meta.app_label for model in admin.site._registry}
    by_label = {
        model._meta.app_label: str(model._meta.app_config.verbose_name)
        for model in admin.site._registry
    }
    assert len(set(by_label.values())) == len(sections), names


@pytest.mark.django_db
def test_the_admin_pages_carry_the_product_name(client, owner):
    owner.is_staff = owner.is_superuser = True
    owner.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(owner)
    html = client.get("/admin/").content.decode()
    assert "keyservice administration" in html
    assert "Django administration" not in html
