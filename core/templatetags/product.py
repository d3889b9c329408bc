"""The product's name and the operator's contact line, for every email's footer.

`{% load product %}{% contact_line %}`: "Questions? <KEYSERVICE_CONTACT>" on a line of its
own, or nothing when the operator set none.
"""

from django import template
from django.conf import settings

register = template.Library()

PRODUCT_NAME = "keyservice"


@register.simple_tag
def product_name() -> str:
    return PRODUCT_NAME


@register.simple_tag
def contact_line() -> str:
    contact = settings.KEYSERVICE_CONTACT.strip()
    return f"Questions? {contact}" if contact else ""
