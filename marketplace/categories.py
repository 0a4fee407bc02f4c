"""The seeded category tree: top-level categories and their subcategories.

Created by migration 0003 on every database and topped up by ``seed_demo``;
``ensure_category_tree`` is idempotent and only adds what is missing.
"""

from django.utils.text import slugify

CATEGORY_TREE = [
    (
        "Programming & Tech",
        ["Website Development", "Web Applications", "Mobile Apps", "APIs & Integrations", "DevOps & Cloud"],
    ),
    ("Graphics & Design", ["Logo Design", "Brand Style Guides", "Illustration", "UI/UX Design", "Presentation Design"]),
    ("Writing & Translation", ["Blog Posts & Articles", "Website Copy", "Technical Writing", "Translation"]),
    ("Digital Marketing", ["SEO", "Social Media Marketing", "Email Marketing", "Paid Ads"]),
    ("Video & Animation", ["Explainer Videos", "Video Editing", "Logo Animation"]),
    ("Data", ["Data Analysis", "Data Visualization", "Data Entry"]),
    ("Business", ["Virtual Assistant", "Market Research", "Business Plans"]),
]


def ensure_category_tree(category_model=None):
    """Create the categories of ``CATEGORY_TREE`` that do not exist yet; return how many were added."""
    if category_model is None:
        from .models import Category as category_model  # noqa: N813 - the model class, passed in by migrations

    added = 0
    for position, (parent_name, children) in enumerate(CATEGORY_TREE):
        parent, created = category_model.objects.get_or_create(
            slug=slugify(parent_name), defaults={"name": parent_name, "parent": None, "position": position}
        )
        added += created
        for child_position, child_name in enumerate(children):
            _, created = category_model.objects.get_or_create(
                slug=slugify(child_name), defaults={"name": child_name, "parent": parent, "position": child_position}
            )
            added += created
    return added
