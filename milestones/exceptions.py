class OrderError(Exception):
    """A refused action on an offer, order or milestone, with a message for a person."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self):
        return self.message


class StaleAction(OrderError):
    """The page the person acted from is out of date: the object changed meanwhile."""
