"""Does a rule match an event? Conditions compiled once into small functions over the event's facts.

Facts are plain values (facts.py): lists for what an event may have several of (products of a purchase-order
receipt, SKUs), numbers and strings otherwise. A fact that is not known yet (`order_total` and
`customer_group` come from BigCommerce when the rule runs) makes its condition *unknown*: `all` fails on any
false condition, `any` holds on any true one, and otherwise an unknown condition leaves the whole rule
unknown. An unknown rule gets a run; the run reads the missing facts and decides (runner.py). No
conditions: the rule matches every event of its trigger.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from notifications.automations import catalog

Verdict = bool | None  # None: unknown until the remote facts are read
Check = Callable[[dict], Verdict]

_NUMBER_OPS = {"eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "gte": operator.ge, "lt": operator.lt,
               "lte": operator.le}  # fmt: skip


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _number(value) -> Decimal | int | float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return value
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def condition_compile(condition: dict) -> Check:
    """One normalized condition as a function of the facts."""
    field, op, value = condition["field"], condition["op"], condition["value"]
    kind = catalog.CONDITIONS[field].kind
    if kind == catalog.IDS:
        wanted = frozenset(value)

        def check(facts: dict) -> Verdict:
            have = facts.get(field)
            if have is None:
                return None
            hit = any(v in wanted for v in _as_list(have))
            return hit if op == "in" else not hit

    elif kind == catalog.NUMBER:
        compare = _NUMBER_OPS[op]
        limit = Decimal(str(value)) if isinstance(value, float) else value

        def check(facts: dict) -> Verdict:
            have = _number(facts.get(field))
            if have is None:
                return None
            if isinstance(have, float):
                have = Decimal(str(have))
            return compare(have, limit)

    elif kind == catalog.TEXT:
        text = value.lower()
        tests = {"is": lambda s: s == text, "is_not": lambda s: s == text, "starts_with": lambda s: s.startswith(text),
                 "contains": lambda s: text in s}  # fmt: skip
        test = tests[op]

        def check(facts: dict) -> Verdict:
            have = facts.get(field)
            if have is None:
                return None
            hit = any(test(str(s).lower()) for s in _as_list(have))
            return not hit if op == "is_not" else hit

    else:  # choice, domain
        text = str(value).lower()

        def check(facts: dict) -> Verdict:
            have = facts.get(field)
            if have is None:
                return None
            have = str(have).lower()
            if op == "ends_with":  # the domain or a sub-domain of it: "acme.com" is not "notacme.com"'s
                suffix = text.lstrip(".")
                return have == suffix or have.endswith("." + suffix)
            return (have == text) if op == "is" else (have != text)

    return check


@dataclass(frozen=True)
class CompiledRule:
    id: int
    version: int
    trigger: str
    any_of: bool
    checks: tuple[Check, ...]
    needs: frozenset[str]  # the facts its conditions read

    def verdict(self, facts: dict) -> Verdict:
        unknown = False
        if self.any_of and self.checks:
            for check in self.checks:
                result = check(facts)
                if result:
                    return True
                unknown |= result is None
            return None if unknown else False
        for check in self.checks:
            result = check(facts)
            if result is False:
                return False
            unknown |= result is None
        return None if unknown else True


def rule_compile(*, rule_id: int, version: int, trigger: str, match: str, conditions: list[dict]) -> CompiledRule:
    return CompiledRule(
        id=rule_id, version=version, trigger=trigger, any_of=match == "any",
        checks=tuple(condition_compile(c) for c in conditions), needs=frozenset(c["field"] for c in conditions),
    )  # fmt: skip


@dataclass(frozen=True)
class RuleSet:
    """The store's enabled rules by trigger, and its enabled webhook endpoints by event type."""

    version: str
    rules_by_trigger: dict[str, tuple[CompiledRule, ...]]
    endpoints_by_type: dict[str, tuple[int, ...]]

    @property
    def empty(self) -> bool:
        return not self.rules_by_trigger and not self.endpoints_by_type

    def wants(self, trigger: str) -> bool:
        return trigger in self.rules_by_trigger or trigger in self.endpoints_by_type

    def needs(self, trigger: str) -> frozenset[str]:
        """Every fact some rule of the trigger reads (lookups are only made for these)."""
        return frozenset().union(*(rule.needs for rule in self.rules_by_trigger.get(trigger, ())))

    def matching(self, trigger: str, facts: dict) -> list[CompiledRule]:
        """The rules of `trigger` whose conditions hold, or may hold once remote facts are read."""
        return [rule for rule in self.rules_by_trigger.get(trigger, ()) if rule.verdict(facts) is not False]


EMPTY = RuleSet(version="empty", rules_by_trigger={}, endpoints_by_type={})


def ruleset_compile(*, version: str, rules: Iterable[dict], endpoints: Iterable[dict]) -> RuleSet:
    """`rules`: {id, version, trigger, match, conditions}; `endpoints`: {id, events}."""
    by_trigger: dict[str, list[CompiledRule]] = {}
    for rule in rules:
        compiled = rule_compile(rule_id=rule["id"], version=rule["version"], trigger=rule["trigger"],
                                match=rule["match"], conditions=rule["conditions"])  # fmt: skip
        by_trigger.setdefault(rule["trigger"], []).append(compiled)
    by_type: dict[str, list[int]] = {}
    for endpoint in endpoints:
        for event_type in endpoint["events"]:
            by_type.setdefault(event_type, []).append(endpoint["id"])
    return RuleSet(
        version=version,
        rules_by_trigger={t: tuple(r) for t, r in by_trigger.items()},
        endpoints_by_type={t: tuple(e) for t, e in by_type.items()},
    )
