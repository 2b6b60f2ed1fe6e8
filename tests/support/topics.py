"""AMQP topic routing, as the broker does it: which published events a consumer's bindings route to it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def topic_matches(pattern: str, routing_key: str) -> bool:
    """``*`` is exactly one word, ``#`` zero or more."""
    words = pattern.split(".")

    def match(at: int, rest: list[str]) -> bool:
        if at == len(words):
            return not rest
        word = words[at]
        if word == "#":
            return any(match(at + 1, rest[skip:]) for skip in range(len(rest) + 1))
        return bool(rest) and (word == "*" or word == rest[0]) and match(at + 1, rest[1:])

    return match(0, routing_key.split("."))


def routed_count(published: Mapping[str, int], bindings: Iterable[str]) -> int:
    """How many of the published events (count by routing key) a queue with these bindings receives."""
    patterns = tuple(bindings)
    return sum(count for key, count in published.items() if any(topic_matches(p, key) for p in patterns))
