"""``<id:pk>``: a database id in a URL, checked before it reaches a query.

Django's ``<int:>`` takes any run of digits, and ``/inbox/99999999999999999999/files/1/`` then
reached the database: SQLite raised ``OverflowError`` on the foreign-key lookup (HTTP 500),
PostgreSQL compared a bigint with a numeric. An id beyond a 64-bit integer cannot name a row, so
``<id:>`` does not match it and the URL answers 404 like any other unknown id.
"""

from django.urls import register_converter

MAX_ID = 2**63 - 1  # the largest value of a bigint primary key


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("not a database id")  # the resolver takes this as "no match": a 404
        return number

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(IdConverter, "id")
