"""Spot messages that take the conversation off the platform.

The seeds' lesson: a deal made off-platform leaves both sides unprotected, so a
message that shares an email address, a phone number or a messenger handle is
delivered with a visible warning to both sides. This is a heuristic: it looks
for the common shapes and accepts some false positives over silence.
"""

import re

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+\s*(?:@|\(at\)|\[at\])\s*[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# A run of digits with the separators phone numbers use; judged by its digit count.
PHONE_RE = re.compile(r"(?<![\w/])\+?\(?\d[\d\s().-]{6,}\d(?![\w/])")
MESSENGER_RE = re.compile(
    r"\b(?:whats\s?app|telegram|skype|signal\s+me|wechat|viber|discord|kik|snapchat|imessage|facetime|"
    r"google\s?chat|hangouts|messenger|line\s+id)\b",
    re.IGNORECASE,
)
HANDLE_RE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_][A-Za-z0-9_.]{1,30}")


def off_platform_reasons(text: str) -> list[str]:
    """What looks like off-platform contact in ``text`` (empty when nothing does)."""
    text = text or ""
    reasons = []
    without_emails = EMAIL_RE.sub(" ", text)
    if without_emails != text:
        reasons.append("an email address")
    for match in PHONE_RE.finditer(without_emails):
        digits = sum(ch.isdigit() for ch in match.group(0))
        if 9 <= digits <= 15:
            reasons.append("a phone number")
            break
    if MESSENGER_RE.search(text):
        reasons.append("an off-platform messenger")
    if HANDLE_RE.search(without_emails):
        reasons.append("a social media handle")
    return reasons


def looks_off_platform(text: str) -> bool:
    return bool(off_platform_reasons(text))
