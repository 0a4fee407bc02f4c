"""Forms: parse and check what people type; the rules that change data live in the services."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from config import limits
from config.money import AmountField
from config.numbers import WholeNumberField
from config.text import LineField
from config.uploads import attachments_help, check_attachments, safe_name, validate_image_upload

from .exceptions import InvalidInput
from .models import MAX_GIG_IMAGES, MAX_GIG_TAGS, PackageTier
from .selectors import Sort
from .services import MAX_MESSAGE_LENGTH, PackageData, PackageStepData, package_plan_check

# A gig's starting price, each package's price and a buyer's budget: $5 to $50,000.


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; ``clean`` returns a list (empty when none were chosen)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f]


def _check_each(files, validate):
    errors = []
    for upload in files:
        try:
            validate(upload)
        except ValidationError as exc:
            errors.append(f"{safe_name(upload.name)}: {' '.join(exc.messages)}")
    if errors:
        raise ValidationError(errors)


# --- Browse and search ---------------------------------------------------------

DELIVERY_CHOICES = [("", "Any time"), ("1", "Up to 24 hours"), ("3", "Up to 3 days"), ("7", "Up to 7 days")]
RATING_CHOICES = [("", "Any rating"), ("4.5", "4.5 stars and up"), ("4", "4 stars and up"), ("3", "3 stars and up")]


class GigSearchForm(forms.Form):
    """The browse page's query string. Invalid filters are reported and left out; the rest still apply."""

    q = forms.CharField(label="Search", required=False, max_length=200)
    category = forms.ChoiceField(required=False)
    min_price = AmountField(label="Min ($)", required=False, allow_zero=True, max_cents=limits.gig_max_price_cents)
    max_price = AmountField(label="Max ($)", required=False, allow_zero=True, max_cents=limits.gig_max_price_cents)
    delivery = forms.ChoiceField(label="Delivery time", required=False, choices=DELIVERY_CHOICES)
    rating = forms.ChoiceField(label="Seller rating", required=False, choices=RATING_CHOICES)
    sort = forms.ChoiceField(label="Sort by", required=False, choices=Sort.CHOICES)

    def __init__(self, *args, tree=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._categories = {}
        choices = [("", "All categories")]
        for parent in tree:
            self._categories[parent.slug] = parent
            group = [(parent.slug, f"All in {parent.name}")]
            for child in parent.subcategories:
                self._categories[child.slug] = child
                group.append((child.slug, child.name))
            choices.append((parent.name, group))
        self.fields["category"].choices = choices
        for name in ("min_price", "max_price"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "placeholder": "Any"})

    def clean_category(self):
        slug = self.cleaned_data.get("category")
        return self._categories.get(slug) if slug else None

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_price"), cleaned.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", "The maximum price is below the minimum price.")
            cleaned.pop("max_price", None)
        return cleaned

    def search_kwargs(self) -> dict:
        """Arguments for ``selectors.gig_search`` from the fields that are valid."""
        data = getattr(self, "cleaned_data", {})
        return {
            "q": data.get("q") or "",
            "category": data.get("category"),
            "min_price_cents": data.get("min_price"),
            "max_price_cents": data.get("max_price"),
            "max_delivery_days": int(data["delivery"]) if data.get("delivery") else None,
            "min_rating": Decimal(data["rating"]) if data.get("rating") else None,
            "sort": data.get("sort") or Sort.RELEVANCE,
        }

    @property
    def has_filters(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(
            data.get(name) not in (None, "") for name in ("category", "min_price", "max_price", "delivery", "rating")
        )


# --- Gigs ----------------------------------------------------------------------------


def _money_field(label, required=False):
    return AmountField(
        label=label,
        required=required,
        min_cents=limits.gig_min_price_cents,
        max_cents=limits.gig_max_price_cents,
        error_messages={
            "min_value": "The lowest price is {short_limit}.",
            "max_value": "The highest price is {short_limit}.",
        },
    )


class PackageStepForm(forms.Form):
    """One row of a package's milestone plan. A row left empty is ignored; a row with anything typed in its
    title, deliverables, amount or days is a milestone, and then needs all four."""

    REQUIRED = ("title", "description", "amount", "delivery_days")

    title = LineField(label="Milestone title", max_length=120, required=False)
    description = forms.CharField(
        label="Deliverables", max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    amount = AmountField(
        label="Amount (USD)",
        required=False,
        min_cents=limits.min_milestone_cents,
        max_cents=limits.max_milestone_cents,
        error_messages={"min_value": "Each milestone must be at least {limit}."},
    )
    delivery_days = WholeNumberField(label="Days", required=False, min_value=1, max_value=limits.max_delivery_days)
    revisions = WholeNumberField(label="Revisions", required=False, min_value=0, max_value=limits.max_revisions)

    def __init__(self, *args, number: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.number = number

    def is_filled(self) -> bool:
        if not self.is_bound:
            return False
        return any(str(self.data.get(self.add_prefix(name), "")).strip() for name in self.REQUIRED)

    def clean(self):
        cleaned = super().clean()
        if not self.is_filled():
            return cleaned  # an empty row is not a milestone: nothing is required of it, even on a refused form
        for name in self.REQUIRED:
            if cleaned.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, "This field is required for a milestone (or empty the whole row).")
        return cleaned

    def step(self) -> PackageStepData:
        data = self.cleaned_data
        return PackageStepData(
            title=data["title"],
            description=data["description"],
            amount_cents=data["amount"],
            delivery_days=data["delivery_days"],
            revisions=data["revisions"] if data.get("revisions") is not None else 1,
        )


class PackageForm(forms.Form):
    """One of the three packages; each field becomes required when the seller chooses packages.

    ``plan_rows``: its optional milestone plan, ``limits.package_plan_max_milestones()`` rows prefixed
    ``<tier>-plan-<n>``; the rows with something typed make the plan (``services.package_plan_check``).
    """

    name = LineField(max_length=60, required=False, widget=forms.TextInput(attrs={"placeholder": "e.g. Starter"}))
    description = forms.CharField(max_length=600, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    price = _money_field("Price ($)")
    delivery_days = WholeNumberField(
        label="Delivery (days)", required=False, min_value=1, max_value=limits.max_delivery_days
    )
    revisions = WholeNumberField(required=False, min_value=0, max_value=limits.max_revisions, initial=1)
    features = forms.CharField(
        label="What is included",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One item per line.",
    )

    def __init__(self, *args, tier, plan=(), **kwargs):
        super().__init__(*args, prefix=tier, **kwargs)
        self.tier = tier
        self.label = PackageTier(tier).label
        data = args[0] if args else kwargs.get("data")
        saved = list(plan)
        self.plan_rows = [
            PackageStepForm(
                data,
                prefix=f"{tier}-plan-{i}",
                number=i + 1,
                initial=self._step_initial(saved[i]) if i < len(saved) else {"revisions": 1},
            )
            for i in range(limits.package_plan_max_milestones())
        ]
        self.plan_errors: list[str] = []
        self.plan_steps: tuple[PackageStepData, ...] = ()

    @staticmethod
    def _step_initial(step):
        return {
            "title": step.title,
            "description": step.description,
            "amount": step.amount_cents,
            "delivery_days": step.delivery_days,
            "revisions": step.revisions,
        }

    @property
    def plan_open(self) -> bool:
        """Show the plan unfolded: it has steps (typed or saved), or something to correct."""
        if self.is_bound:
            return any(row.is_filled() for row in self.plan_rows)
        return any(row.initial.get("title") for row in self.plan_rows)

    @property
    def plan_has_errors(self) -> bool:
        return bool(self.plan_errors) or any(row.errors for row in self.plan_rows if row.is_filled())

    def plan_rows_valid(self) -> bool:
        return all([row.is_valid() for row in self.plan_rows if row.is_filled()])

    def check_complete(self):
        """Called once the package's own fields are read: every field is required, but the delivery time may
        be left blank with a plan (it is then the sum of the plan's days); the plan is checked as a whole."""
        rows = [row for row in self.plan_rows if row.is_filled()]
        rows_valid = self.plan_rows_valid()
        for name in ("name", "description", "price", "delivery_days"):
            if name == "delivery_days" and rows:
                continue
            if self.cleaned_data.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, "This field is required for packages.")
        if not rows or not rows_valid or self.errors:
            return
        steps = tuple(row.step() for row in rows)
        if self.cleaned_data.get("delivery_days") is None:
            self.cleaned_data["delivery_days"] = sum(step.delivery_days for step in steps)
        try:
            package_plan_check(
                label=self.label,
                price_cents=self.cleaned_data["price"],
                delivery_days=self.cleaned_data["delivery_days"],
                plan=steps,
            )
        except InvalidInput as exc:
            self.plan_errors.append(str(exc))
        else:
            self.plan_steps = steps

    def package_data(self) -> PackageData:
        data = self.cleaned_data
        return PackageData(
            tier=self.tier,
            name=data["name"],
            description=data["description"],
            price_cents=data["price"],
            delivery_days=data["delivery_days"],
            revisions=data.get("revisions") if data.get("revisions") is not None else 1,
            features=[line.strip() for line in (data.get("features") or "").splitlines() if line.strip()],
            plan=self.plan_steps,
        )


class GigForm(forms.Form):
    """A gig's fields plus its three package sub-forms (``self.packages``)."""

    PRICING_CHOICES = [("simple", "One starting price"), ("packages", "Three packages (basic, standard, premium)")]

    title = LineField(
        max_length=100,
        min_length=10,
        widget=forms.TextInput(attrs={"placeholder": "I will build your Django web application"}),
    )
    category = forms.TypedChoiceField(label="Category", coerce=int, empty_value=None)
    description = forms.CharField(min_length=30, max_length=6000, widget=forms.Textarea(attrs={"rows": 8}))
    tags = forms.CharField(
        required=False,
        max_length=200,
        help_text=f"Up to {MAX_GIG_TAGS}, separated by commas, e.g. “django, api, postgresql”.",
    )
    pricing = forms.ChoiceField(choices=PRICING_CHOICES, initial="simple", widget=forms.RadioSelect)
    price = _money_field("Starting price ($)")
    delivery_days = WholeNumberField(
        label="Delivery (days)", required=False, min_value=1, max_value=limits.max_delivery_days
    )
    offers_milestones = forms.BooleanField(
        label="I offer milestone plans (the work split into phases, each paid on approval)", required=False
    )
    images = MultipleFileField(
        label="Add images",
        help_text=f"Up to {MAX_GIG_IMAGES} in all: JPEG, PNG, WebP or GIF, at most 10 MB each.",
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
    )
    remove_images = forms.TypedMultipleChoiceField(
        required=False, coerce=int, widget=forms.CheckboxSelectMultiple, label="Remove images"
    )

    def __init__(self, data=None, files=None, *, tree=(), gig=None, **kwargs):
        self.gig = gig
        initial = kwargs.pop("initial", None) or (self._initial_from(gig) if gig else {})
        super().__init__(data, files, initial=initial, **kwargs)
        self._categories = {}
        choices = [("", "Choose a subcategory")]
        for parent in tree:
            group = []
            for child in parent.subcategories:
                child.parent = parent
                self._categories[child.pk] = child
                group.append((child.pk, child.name))
            choices.append((parent.name, group))
        self.fields["category"].choices = choices
        self.existing_images = list(gig.images.all()) if gig else []
        self.fields["remove_images"].choices = [(img.pk, str(img)) for img in self.existing_images]
        package_initial = {p.tier: p for p in gig.packages.all()} if gig else {}
        self.packages = [
            PackageForm(
                data,
                tier=tier,
                initial=self._package_initial(package_initial.get(tier)),
                plan=package_initial[tier].plan.all() if tier in package_initial else (),
            )
            for tier in PackageTier.values
        ]

    @staticmethod
    def _initial_from(gig):
        has_packages = bool(list(gig.packages.all()))
        return {
            "title": gig.title,
            "category": gig.category_id,
            "description": gig.description,
            "tags": ", ".join(t.name for t in gig.tags.all()),
            "pricing": "packages" if has_packages else "simple",
            "price": gig.price_cents,
            "delivery_days": gig.delivery_days,
            "offers_milestones": gig.offers_milestones,
        }

    @staticmethod
    def _package_initial(package):
        if package is None:
            return {}
        return {
            "name": package.name,
            "description": package.description,
            "price": package.price_cents,
            "delivery_days": package.delivery_days,
            "revisions": package.revisions,
            "features": "\n".join(package.features),
        }

    def clean_category(self):
        pk = self.cleaned_data.get("category")
        category = self._categories.get(pk)
        if category is None:
            raise ValidationError("Choose a subcategory.")
        return category

    def clean_tags(self):
        names = []
        for raw in (self.cleaned_data.get("tags") or "").split(","):
            name = " ".join(raw.strip().lower().lstrip("#").split())
            if name and name not in names:
                if len(name) > 30:
                    raise ValidationError(f"“{name[:30]}…” is too long: a tag has at most 30 characters.")
                names.append(name)
        if len(names) > MAX_GIG_TAGS:
            raise ValidationError(f"Use at most {MAX_GIG_TAGS} tags (you gave {len(names)}).")
        return names

    def clean_images(self):
        files = self.cleaned_data.get("images") or []
        _check_each(files, validate_image_upload)
        return files

    def clean(self):
        cleaned = super().clean()
        kept = len(self.existing_images) - len(set(cleaned.get("remove_images") or ()))
        new = len(cleaned.get("images") or ())
        if kept + new > MAX_GIG_IMAGES:
            self.add_error(
                "images",
                f"A gig can have at most {MAX_GIG_IMAGES} images: it has {kept}, so you can add "
                f"{max(0, MAX_GIG_IMAGES - kept)} more.",
            )
        if cleaned.get("pricing") == "simple":
            for name in ("price", "delivery_days"):
                if cleaned.get(name) is None and name not in self.errors:
                    self.add_error(name, "This field is required for a starting price.")
        return cleaned

    def is_valid(self):
        valid = super().is_valid()
        if not self.is_bound:  # an empty POST (no fields at all) leaves the form unbound: nothing to check
            return False
        if self.cleaned_data.get("pricing") == "packages":
            packages_valid = all([form.is_valid() for form in self.packages])
            for form in self.packages:  # a typed plan row's errors show whatever else is wrong
                form.plan_rows_valid()
            if packages_valid:
                for form in self.packages:
                    form.check_complete()
                packages_valid = all(not form.errors and not form.plan_has_errors for form in self.packages)
            if packages_valid:
                prices = [form.cleaned_data["price"] for form in self.packages]
                if prices != sorted(prices):
                    self.packages[-1].add_error("price", "Prices must not go down from basic to standard to premium.")
                    packages_valid = False
            valid = valid and packages_valid
        return valid

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        packages = [form.package_data() for form in self.packages] if data["pricing"] == "packages" else []
        return {
            "title": data["title"],
            "description": data["description"],
            "category": data["category"],
            "tags": data["tags"],
            "price_cents": data.get("price"),
            "delivery_days": data.get("delivery_days"),
            "packages": packages,
            "offers_milestones": data["offers_milestones"],
        }


# --- Conversations ----------------------------------------------------------------


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Message",
        required=False,
        max_length=MAX_MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Write a message…"}),
    )
    files = MultipleFileField(
        label="Attach files", help_text=attachments_help("documents, images, archives, audio or video")
    )
    body_required = False

    def clean_files(self):
        # The service takes the uploads themselves (and checks them again, as any caller's).
        return [checked.file for checked in check_attachments(self.cleaned_data.get("files"), per="message")]

    def clean(self):
        cleaned = super().clean()
        body = (cleaned.get("body") or "").strip()
        if self.body_required and not body and "body" not in self.errors:
            self.add_error("body", "Write a message to the seller.")
        elif not body and not cleaned.get("files") and not self.errors:
            self.add_error("body", "Write a message or attach a file.")
        return cleaned


class ContactForm(MessageForm):
    body_required = True


class CustomOfferRequestForm(forms.Form):
    description = forms.CharField(
        label="Describe the work you need",
        min_length=20,
        max_length=MAX_MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "What should be delivered, by when, and any details."}),
        error_messages={"min_length": "Describe the work in a few sentences (at least 20 characters)."},
    )
    budget = _money_field("Your budget ($, optional)")
    delivery_days = WholeNumberField(
        label="Wanted within (days, optional)", required=False, min_value=1, max_value=limits.max_delivery_days
    )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "description": data["description"],
            "budget_cents": data.get("budget"),
            "delivery_days": data.get("delivery_days"),
        }
