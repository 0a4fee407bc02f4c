"""Domain errors of the marketplace; each message is shown to the person as is."""


class MarketplaceError(Exception):
    """Something a person asked for that the marketplace refuses; ``str()`` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self):
        return self.message


class NotAllowed(MarketplaceError):
    """The actor may not do this (not the gig's owner, not part of the conversation)."""


class SelfContactError(MarketplaceError):
    """Someone tried to contact or order from themselves."""


class InvalidInput(MarketplaceError):
    """The data does not meet the marketplace's rules (too many images, a refused file...)."""
