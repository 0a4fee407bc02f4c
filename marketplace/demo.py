"""Demo catalogue for ``manage.py seed_demo``: 50 gigs by the three demo sellers and one conversation.

The sellers' stats are not set here: they are counted from the orders and reviews that
``orders.demo`` makes (a year of history), as they always are.

Idempotent: a gig whose seller already has one with the same title is left
alone, so running the seed again adds nothing. Everything goes through the
services (images are drawn here with Pillow and re-encoded by ``gig_create``).
"""

import random
from datetime import timedelta
from io import BytesIO
from textwrap import wrap

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFont

from accounts.models import User
from config import clock

from .categories import ensure_category_tree
from .models import Category, Gig, PackageTier
from .services import (
    PackageData,
    PackageStepData,
    conversation_start,
    custom_offer_request_send,
    gig_create,
    message_send,
)

SELLERS = {
    "sol": "seller@example.com",
    "sia": "seller2@example.com",
    "kai": "seller3@example.com",
}

# seller, subcategory slug, title, tags, starting price ($), delivery days, milestone plans, three packages, pitch
GIGS = [
    ("sol", "website-development", "I will build a fast, responsive business website with Django",
     ["django", "website", "responsive"], 450, 10, True, True,
     "A clean, quick site your team can edit themselves, built on Django and hosted wherever you like."),
    ("sol", "web-applications", "I will develop a custom Django web application from idea to launch",
     ["django", "python", "postgresql", "saas"], 1200, 30, True, True,
     "From the first sketch to a running product: accounts, dashboards, payments and an admin for your staff."),
    ("sol", "apis-integrations", "I will build a secure REST API with Django REST Framework",
     ["django", "rest api", "drf"], 600, 14, True, False,
     "Versioned endpoints, token auth, pagination, OpenAPI docs and tests, ready for your mobile or web client."),
    ("sol", "apis-integrations", "I will integrate Stripe payments into your web app",
     ["stripe", "payments", "checkout"], 350, 7, False, False,
     "One-off payments or subscriptions with webhooks handled properly, so no order is ever lost."),
    ("sol", "web-applications", "I will fix bugs and add features to your existing Django project",
     ["django", "bug fix", "python"], 80, 2, False, True,
     "Stuck on an error or a half-finished feature? I read your code, fix it and explain what was wrong."),
    ("sol", "devops-cloud", "I will deploy your Django app to AWS with Docker and CI",
     ["aws", "docker", "ci/cd"], 300, 5, False, False,
     "Push to main and your app tests, builds and deploys itself, with zero-downtime releases."),
    ("sol", "devops-cloud", "I will set up PostgreSQL backups, monitoring and alerts",
     ["postgresql", "backups", "monitoring"], 150, 3, False, False,
     "Nightly backups you have actually restored, plus alerts before the disk fills up."),
    ("sol", "website-development", "I will convert your Figma design into a responsive HTML and CSS site",
     ["figma", "html", "css"], 250, 6, False, True,
     "Pixel-careful, accessible markup that looks right from a small phone to a wide monitor."),
    ("sol", "mobile-apps", "I will build a cross-platform mobile app with React Native",
     ["react native", "ios", "android"], 2500, 45, True, True,
     "One codebase for iOS and Android, connected to your API, delivered screen by screen in milestones."),
    ("sol", "apis-integrations", "I will connect your shop to your accounting software via API",
     ["api", "shopify", "xero", "automation"], 400, 10, False, False,
     "Orders, refunds and payouts flow into your books automatically: no more copying rows by hand."),
    ("sol", "web-applications", "I will speed up slow Django pages and database queries",
     ["performance", "django", "sql"], 220, 4, False, False,
     "I profile your slowest pages, remove the N+1 queries and add the right indexes. Before/after numbers included."),
    ("sol", "data-analysis", "I will analyse your sales data in Python and explain what it shows",
     ["python", "pandas", "analysis"], 180, 4, False, True,
     "A notebook and a plain-English summary: what sells, to whom, when, and what to try next."),
    ("sol", "data-visualization", "I will build an interactive dashboard for your business metrics",
     ["dashboard", "charts", "metabase"], 500, 10, True, False,
     "The numbers you check every morning on one page, refreshed automatically from your database."),
    ("sol", "data-entry", "I will scrape and clean product data into a tidy spreadsheet",
     ["web scraping", "excel", "data cleaning"], 90, 3, False, False,
     "Product names, prices and specs collected politely and delivered de-duplicated in Excel or CSV."),
    ("sol", "website-development", "I will migrate your WordPress site to a custom Django CMS",
     ["wordpress", "migration", "wagtail"], 900, 21, True, False,
     "Every page, image and redirect moved to Wagtail, so your editors keep working and your SEO stays put."),
    ("sol", "devops-cloud", "I will secure your web server and set up HTTPS",
     ["security", "nginx", "https"], 120, 2, False, False,
     "Firewall, automatic certificates, security headers and an A+ on the SSL test."),
    ("sol", "mobile-apps", "I will publish your app to the App Store and Google Play",
     ["app store", "google play", "release"], 200, 5, False, False,
     "Store listings, screenshots, signing and review: I take your build through to a public release."),
    ("sia", "logo-design", "I will design a minimalist logo with a full brand kit",
     ["logo", "branding", "minimalist"], 150, 5, False, True,
     "Three distinct concepts, your favourite refined, and every file format your printer will ask for."),
    ("sia", "logo-design", "I will redraw your logo as a clean vector file",
     ["vector", "logo", "illustrator"], 40, 2, False, False,
     "Send me the blurry JPEG; you get back crisp SVG, EPS and PDF files that scale to a billboard."),
    ("sia", "brand-style-guides", "I will create a complete brand identity and style guide",
     ["brand identity", "style guide", "typography"], 900, 21, True, True,
     "Logo, colours, type, imagery and tone of voice in one guide your whole team can follow."),
    ("sia", "illustration", "I will draw a hand-made illustration for your book cover",
     ["book cover", "illustration", "digital painting"], 350, 10, True, False,
     "A painted cover that fits your genre and still stands out as a thumbnail in the store."),
    ("sia", "illustration", "I will create a set of custom icons for your app",
     ["icons", "ui", "svg"], 180, 6, False, True,
     "A consistent icon family on a shared grid, delivered as optimised SVG and an icon font."),
    ("sia", "uiux-design", "I will design your web app's UI in Figma",
     ["figma", "ui design", "web app"], 700, 14, True, True,
     "Screens, components and a small design system your developers can build straight from."),
    ("sia", "uiux-design", "I will audit your website's user experience and suggest fixes",
     ["ux audit", "usability", "conversion"], 250, 5, False, False,
     "A recorded walkthrough and a prioritised list of the changes that will help visitors most."),
    ("sia", "presentation-design", "I will design a pitch deck investors will remember",
     ["pitch deck", "powerpoint", "keynote"], 300, 6, False, True,
     "Your story told in twelve clear slides, with charts that make the numbers obvious."),
    ("sia", "presentation-design", "I will turn your slides into a polished Google Slides template",
     ["google slides", "template", "presentation"], 120, 4, False, False,
     "Master layouts in your brand colours so every future deck looks good without a designer."),
    ("sia", "illustration", "I will draw a cute character mascot for your brand",
     ["mascot", "character design", "cartoon"], 260, 7, False, False,
     "A friendly character with a few poses and expressions, ready for your site, stickers and socials."),
    ("sia", "brand-style-guides", "I will design business cards and stationery to match your brand",
     ["business cards", "print", "stationery"], 70, 3, False, False,
     "Print-ready cards, letterhead and email signature, checked against your printer's specs."),
    ("sia", "logo-animation", "I will animate your logo for intros and social media",
     ["logo animation", "after effects", "motion"], 90, 3, False, True,
     "A short, smooth reveal with sound, exported for YouTube, Instagram and your website."),
    ("sia", "explainer-videos", "I will create a 60-second animated explainer video",
     ["explainer video", "animation", "2d"], 800, 14, True, True,
     "Script, storyboard, voice-over and animation, approved step by step as milestones."),
    ("sia", "video-editing", "I will edit your YouTube videos with captions and b-roll",
     ["youtube", "video editing", "captions"], 75, 2, False, True,
     "Tight cuts, clean audio, captions and a thumbnail, delivered within two days."),
    ("sia", "video-editing", "I will cut your podcast recording into short social clips",
     ["podcast", "reels", "shorts"], 110, 3, False, False,
     "Ten vertical clips with animated captions, picked from the moments people actually share."),
    ("sia", "uiux-design", "I will design a mobile app prototype you can test with users",
     ["prototype", "mobile app", "user testing"], 550, 10, True, False,
     "A clickable prototype of your key flows, so you learn what works before you pay for development."),
    ("sia", "logo-design", "I will design a vintage badge logo for your brewery or coffee shop",
     ["vintage", "badge", "logo"], 180, 5, False, False,
     "Hand-lettered, badge-style marks that look great on cups, labels and signs."),
    ("kai", "blog-posts-articles", "I will write SEO blog posts for your SaaS company",
     ["blog", "saas", "seo writing"], 120, 4, False, True,
     "Researched, well-structured articles that answer your buyers' questions and rank for them."),
    ("kai", "website-copy", "I will write homepage copy that turns visitors into customers",
     ["copywriting", "landing page", "conversion"], 300, 6, False, True,
     "A homepage that says what you do, for whom, and why now, in words your customers use."),
    ("kai", "technical-writing", "I will write clear API documentation for developers",
     ["documentation", "api", "developer docs"], 450, 10, True, False,
     "Getting-started guides, reference pages and examples that cut your support tickets."),
    ("kai", "technical-writing", "I will write a user guide and help center articles for your product",
     ["user guide", "help center", "knowledge base"], 380, 8, True, False,
     "Task-based articles with screenshots, organised so customers find answers in one search."),
    ("kai", "translation", "I will translate your website from English to German",
     ["translation", "german", "localization"], 90, 3, False, False,
     "Natural German by a native speaker, with your product terms kept consistent throughout."),
    ("kai", "translation", "I will translate and localise your app strings into Spanish",
     ["spanish", "localization", "app"], 70, 3, False, False,
     "Strings translated in context, placeholders untouched, delivered in your resource file format."),
    ("kai", "website-copy", "I will write product descriptions for your online store",
     ["product descriptions", "e-commerce", "shopify"], 60, 3, False, True,
     "Descriptions that answer the shopper's questions and sound like your brand, not a catalogue."),
    ("kai", "seo", "I will run a technical SEO audit with a prioritised fix list",
     ["seo audit", "technical seo", "google"], 200, 5, False, False,
     "Crawl errors, speed, indexing and structured data checked, with the fixes ranked by impact."),
    ("kai", "seo", "I will research keywords and plan three months of content",
     ["keyword research", "content plan", "seo"], 250, 6, True, False,
     "A keyword map and a week-by-week calendar of topics your audience is already searching for."),
    ("kai", "email-marketing", "I will write a 5-email welcome sequence for new subscribers",
     ["email marketing", "newsletter", "onboarding"], 220, 5, False, True,
     "Five emails that introduce your brand, build trust and lead to a first purchase."),
    ("kai", "email-marketing", "I will set up your Mailchimp account with templates and automations",
     ["mailchimp", "automation", "templates"], 180, 4, False, False,
     "Branded templates, audience tags and the automations every small shop should have."),
    ("kai", "social-media-marketing", "I will plan and write a month of LinkedIn posts",
     ["linkedin", "social media", "b2b"], 200, 5, False, False,
     "Twenty posts in your voice, mixing stories, advice and proof, scheduled for the best times."),
    ("kai", "paid-ads", "I will write Google Ads copy and set up your first campaign",
     ["google ads", "ppc", "ad copy"], 240, 5, False, False,
     "Tightly themed ad groups, headlines that match intent and conversion tracking that works."),
    ("kai", "business-plans", "I will write an investor-ready business plan",
     ["business plan", "startup", "financial model"], 650, 14, True, True,
     "Market, model, team and three-year financials in a plan that answers investors' questions."),
    ("kai", "market-research", "I will research your competitors and summarise the market",
     ["competitor analysis", "market research", "report"], 300, 7, False, False,
     "Who else sells what you sell, at what price and to whom, in a twelve-page report."),
    ("kai", "virtual-assistant", "I will manage your inbox and calendar for a week",
     ["virtual assistant", "email", "scheduling"], 150, 7, False, False,
     "Inbox zero every evening, meetings booked without back-and-forth, and a daily summary."),
]  # fmt: skip

DELIVERABLES = {
    "Programming & Tech": [
        "Source code in your Git repository",
        "Automated tests and a short README",
        "A handover call",
    ],
    "Graphics & Design": ["High-resolution source files", "PNG, SVG and PDF exports", "Full commercial rights"],
    "Writing & Translation": ["Delivered as Google Docs or Word", "Proofread by a second editor", "Plagiarism-free"],
    "Digital Marketing": [
        "A written report with next steps",
        "Access to every asset I create",
        "A 30-minute review call",
    ],
    "Video & Animation": ["Full HD (1080p) MP4", "Background music licensed", "Vertical cut for social media"],
    "Data": ["Clean CSV or Excel files", "The notebook or script used", "A one-page summary"],
    "Business": ["A polished PDF document", "Editable source files", "One round of questions answered"],
}
HOW_I_WORK = {
    "sol": "I work in small steps you can see: a staging link after the first milestone, "
    "and a short written update every other day.",
    "sia": "We start with a short brief and a mood board, then I share sketches before any polishing, "
    "so the direction is right early.",
    "kai": "Send me a few examples you like and three facts about your customers; I deliver a first draft quickly "
    "and refine it with you.",
}
COLOURS = {
    "Programming & Tech": ((15, 118, 110), (14, 165, 233)),
    "Graphics & Design": ((190, 24, 93), (249, 115, 22)),
    "Writing & Translation": ((67, 56, 202), (124, 58, 237)),
    "Digital Marketing": ((22, 163, 74), (202, 138, 4)),
    "Video & Animation": ((185, 28, 28), (126, 34, 206)),
    "Data": ((30, 64, 175), (13, 148, 136)),
    "Business": ((51, 65, 85), (15, 118, 110)),
}


def _cover(title: str, category: str, subcategory: str, variant: int = 0) -> SimpleUploadedFile:
    """A 1280×800 gradient card with the gig's title, drawn for the demo."""
    start, end = COLOURS.get(category, ((15, 118, 110), (14, 165, 233)))
    if variant:
        start, end = end, start
    width, height = 1280, 800
    mask = Image.linear_gradient("L").rotate(90).resize((width, height))  # 255 on the left, 0 on the right
    image = Image.composite(Image.new("RGB", (width, height), start), Image.new("RGB", (width, height), end), mask)
    draw = ImageDraw.Draw(image)
    for i in range(6):  # a few soft circles for texture
        r = 90 + 40 * i
        cx, cy = width - 120 - 90 * i, 120 + 100 * ((i + variant) % 3)
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=(255, 255, 255), width=2)
    small = ImageFont.load_default(size=34)
    big = ImageFont.load_default(size=66)
    draw.text((80, 90), subcategory.upper(), font=small, fill=(255, 255, 255))
    text = title.removeprefix("I will ")
    text = text[0].upper() + text[1:]
    y = 220
    for line in wrap(text, 26)[:4]:
        draw.text((80, y), line, font=big, fill=(255, 255, 255))
        y += 86
    draw.text((80, height - 110), "Milestone Market", font=small, fill=(255, 255, 255))
    out = BytesIO()
    image.save(out, format="JPEG", quality=90)
    return SimpleUploadedFile(f"cover-{variant}.jpg", out.getvalue(), content_type="image/jpeg")


# The one demo gig whose Standard package is a milestone plan (README "Marketplace": a package's plan).
PLANNED_GIG = "I will develop a custom Django web application from idea to launch"


def _standard_plan(price_cents: int, days: int) -> tuple[PackageStepData, ...]:
    """Three phases: a quarter, a half and the rest of the price; the days split the same way."""
    first, second = price_cents // 4, price_cents // 2
    first_days, second_days = max(1, days // 4), max(1, days // 2)
    return (
        PackageStepData(
            "Plan and clickable prototype",
            "The data model, the main screens as a clickable prototype, and the plan for the build.",
            first,
            first_days,
            1,
        ),
        PackageStepData(
            "Build the core features",
            "Accounts, the main workflows and the admin, deployed to a staging server you can try.",
            second,
            second_days,
            2,
        ),
        PackageStepData(
            "Launch and hand-over",
            "Production deployment, the last fixes, documentation and a hand-over call.",
            price_cents - first - second,
            days - first_days - second_days,
            1,
        ),
    )


def _packages(price: int, days: int, category: str, *, plan: bool = False) -> list[PackageData]:
    extras = DELIVERABLES.get(category, ["Source files", "Commercial use", "A review call"])
    return [
        PackageData(
            tier=PackageTier.BASIC,
            name="Starter",
            description="The essentials, done well.",
            price_cents=price * 100,
            delivery_days=days,
            revisions=1,
            features=extras[:1],
        ),
        PackageData(
            tier=PackageTier.STANDARD,
            name="Standard",
            description="What most clients choose: more scope and polish.",
            price_cents=price * 2 * 100,
            delivery_days=days + 2,
            revisions=2,
            features=extras[:2],
            plan=_standard_plan(price * 2 * 100, days + 2) if plan else (),
        ),
        PackageData(
            tier=PackageTier.PREMIUM,
            name="Complete",
            description="Everything, with priority support after delivery.",
            price_cents=price * 4 * 100,
            delivery_days=days + 5,
            revisions=5,
            features=[*extras, "Priority support for 30 days"],
        ),
    ]


def _description(pitch: str, category: str, seller_key: str, milestones: bool) -> str:
    items = "\n".join(f"- {item}" for item in DELIVERABLES.get(category, []))
    parts = [pitch, f"What you get:\n{items}", HOW_I_WORK[seller_key]]
    if milestones:
        parts.append(
            "Bigger projects are split into a milestone plan: you fund one phase at a time into escrow "
            "and release it when you approve the work."
        )
    parts.append("Please message me before ordering so we can agree on the scope and the timeline.")
    return "\n\n".join(parts)


def seed(stdout) -> None:
    ensure_category_tree()
    sellers = {key: User.objects.filter(email=email).first() for key, email in SELLERS.items()}
    if not all(sellers.values()):
        stdout.write("marketplace: demo sellers are missing; skipped the catalogue.")
        return
    categories = {c.slug: c for c in Category.objects.select_related("parent")}
    existing = set(Gig.objects.filter(seller__in=sellers.values()).values_list("seller_id", "title"))
    rng = random.Random(2026)
    now = clock.now()
    created = 0
    first_of = {key: next(i for i, row in enumerate(GIGS) if row[0] == key) for key in SELLERS}
    for index, (key, slug, title, tags, price, days, milestones, packages, pitch) in enumerate(GIGS):
        seller = sellers[key]
        if (seller.pk, title) in existing:
            continue
        category = categories[slug]
        top = category.parent.name
        images = [_cover(title, top, category.name)]
        if index % 7 == 0:
            images.append(_cover(title, top, category.name, variant=1))
        gig = gig_create(
            seller=seller,
            title=title,
            description=_description(pitch, top, key, milestones),
            category=category,
            tags=tags,
            price_cents=price * 100,
            delivery_days=days,
            packages=_packages(price, days, top, plan=title == PLANNED_GIG) if packages else (),
            offers_milestones=milestones,
            images=images,
        )
        # Spread the catalogue over the last four months so "Newest" means something; each seller's first gig
        # is older, listed before the year of orders that orders.demo makes.
        age = timedelta(days=400) if index == first_of[key] else timedelta(days=rng.randint(1, 120), hours=index)
        Gig.objects.filter(pk=gig.pk).update(created_at=now - age)
        created += 1
    _seed_conversation(sellers["sol"])
    stdout.write(f"marketplace: {created} demo gigs added ({Gig.objects.count()} in all).")


def _seed_conversation(sol):
    buyer = User.objects.filter(email="buyer@example.com").first()
    gig = Gig.objects.filter(seller=sol, title__startswith="I will develop a custom Django").first()
    if buyer is None or gig is None or buyer.conversations_as_buyer.filter(seller=sol).exists():
        return
    conversation = conversation_start(buyer=buyer, seller=sol, gig=gig)
    message_send(
        conversation=conversation,
        sender=buyer,
        body="Hi Sol! We run a small online shop and need a customer portal: order history, invoices and returns. "
        "Could you build that in Django?",
    )
    message_send(
        conversation=conversation,
        sender=sol,
        body="Hi Bea, yes, that is a good fit. I would split it into three milestones: accounts and order history, "
        "invoices, then returns. Could you describe how returns work today?",
    )
    custom_offer_request_send(
        buyer=buyer,
        gig=gig,
        description="Customer portal with order history, PDF invoices and a returns form that emails our team. "
        "About 300 customers today.",
        budget_cents=180000,
        delivery_days=30,
    )
