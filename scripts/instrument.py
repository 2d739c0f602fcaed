"""The questionnaire instrument as data: load, validate, and map answers to scores.

An instrument file (``data/instruments/*.yaml``, schema in
``workflow/schemas/instrument.schema.yaml``) lists the response categories with their
scores, the subscales, the items with their wording and reverse keys, the values that mean
"skipped" and the missing-data rule. Nothing about RIPLS is hard-coded in the code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from errors import InputError, one_of
from rawinput import normalise_header
from schemas import load_yaml, validate_against_schema

SCHEMA = Path(__file__).resolve().parent.parent / "workflow" / "schemas" / "instrument.schema.yaml"


@dataclass(frozen=True)
class Item:
    number: int
    subscale: str | None
    text: str
    reverse: bool = False

    @property
    def column(self) -> str:
        """Column name of this item in every table the pipeline writes."""
        return f"item_{self.number:02d}"


@dataclass(frozen=True)
class Subscale:
    id: str
    name: str
    higher_is_ready: bool
    description: str = ""
    items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Instrument:
    id: str
    name: str
    labels: tuple[str, ...]  # most to least agreement
    scores: tuple[float, ...]  # score of each label, same order
    aliases: dict[str, str]  # normalised alias -> label
    missing_values: frozenset[str]
    missing_method: str
    max_missing: int
    items: tuple[Item, ...]
    subscales: tuple[Subscale, ...]
    source: str = ""
    path: str = ""
    label_lookup: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    """Normalised label or alias (:func:`rawinput.normalise_header`) -> canonical label: how
    an answer written as text is read (ignoring case and punctuation)."""

    # ---------------------------------------------------------------- scoring
    @property
    def score_of(self) -> dict[str, float]:
        return dict(zip(self.labels, self.scores, strict=True))

    @property
    def min_score(self) -> float:
        return min(self.scores)

    @property
    def max_score(self) -> float:
        return max(self.scores)

    def item_score(self, item: Item, label: str) -> float:
        """Score of a canonical label for one item, reverse-keyed as (max + min) - score."""
        s = self.score_of[label]
        return (self.max_score + self.min_score) - s if item.reverse else s

    # ---------------------------------------------------------------- structure
    def subscale(self, sid: str) -> Subscale:
        return next(s for s in self.subscales if s.id == sid)

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.subscale is not None)

    def possible_range(self, sid: str) -> tuple[float, float]:
        k = len(self.subscale(sid).items)
        return (k * self.min_score, k * self.max_score)


def label_slug(label: str) -> str:
    """'Strongly agree' -> 'strongly_agree' (column names of the item table)."""
    return "_".join("".join(ch if ch.isalnum() else " " for ch in label.casefold()).split())


def parse_instrument(data: dict, *, path: str = "<instrument>") -> Instrument:
    """Build an :class:`Instrument` from parsed YAML, checking what a schema cannot."""
    _refuse_codes(data, path)
    validate_against_schema(data, SCHEMA, file=path, what="instrument")
    labels, scores, aliases = [], [], {}
    alias_at: dict[str, tuple[int, str]] = {}  # normalised alias -> (category index, alias as written)
    for i, cat in enumerate(data["response_scale"]):
        label = cat["label"].strip()
        if label in labels:
            raise InputError(
                path, "response label listed twice", row=None, key=f"response_scale[{i}]", found=label, expected="unique labels"
            )
        labels.append(label)
        scores.append(cat["score"])
        for alias in cat.get("aliases", []):
            key = normalise_header(alias)
            if aliases.get(key, label) != label:
                raise InputError(
                    path,
                    f"an alias is listed under two response categories, {aliases[key]!r} and {label!r} "
                    "(aliases are compared ignoring case and punctuation)",
                    key=f"response_scale[{i}].aliases",
                    found=alias,
                    expected="each alias under one category only",
                )
            aliases[key] = label
            alias_at.setdefault(key, (i, alias))
    if len(set(scores)) != len(scores):
        raise InputError(
            path, "two response categories have the same score", key="response_scale", found=scores, expected="distinct scores"
        )
    if scores != sorted(scores, reverse=True):
        raise InputError(
            path,
            "response categories are not in order of agreement",
            key="response_scale",
            found=scores,
            expected="scores decreasing from the first (most agreement) to the last",
        )
    lookup: dict[str, str] = {}
    for i, lab in enumerate(labels):
        if normalise_header(lab) in lookup:
            raise InputError(
                path,
                "two response labels differ only in case or punctuation",
                key=f"response_scale[{i}]",
                found=lab,
                expected="labels that differ in words, since answers are matched ignoring case and punctuation",
            )
        lookup[normalise_header(lab)] = lab
    for key, lab in aliases.items():
        if key in lookup and lookup[key] != lab:
            i, alias = alias_at[key]
            raise InputError(
                path,
                f"an alias is the label of another category, {lookup[key]!r} (compared ignoring case and punctuation)",
                key=f"response_scale[{i}].aliases",
                found=alias,
                expected="aliases that do not collide with labels",
            )
        lookup[key] = lab

    subscale_ids = [s["id"] for s in data["subscales"]]
    if len(set(subscale_ids)) != len(subscale_ids):
        dup = next(s for s in subscale_ids if subscale_ids.count(s) > 1)
        raise InputError(path, "subscale listed twice", key="subscales", found=dup, expected="unique subscale ids")

    items: list[Item] = []
    seen: set[int] = set()
    for i, raw in enumerate(data["items"]):
        n = raw["number"]
        if n in seen:
            raise InputError(path, "item listed twice", key=f"items[{i}]", found=f"item {n}", expected="each item number once")
        seen.add(n)
        sub = raw.get("subscale")
        if sub is not None and sub not in subscale_ids:
            raise InputError(
                path, f"item {n} names an unknown subscale", key=f"items[{i}].subscale", found=sub, expected=one_of(subscale_ids)
            )
        items.append(Item(number=n, subscale=sub, text=" ".join(raw["text"].split()), reverse=bool(raw.get("reverse", False))))
    items.sort(key=lambda it: it.number)

    subscales = []
    for s in data["subscales"]:
        its = tuple(it for it in items if it.subscale == s["id"])
        if not its:
            raise InputError(path, "subscale has no items", key="subscales", found=s["id"], expected="at least one item per subscale")
        subscales.append(
            Subscale(
                id=s["id"],
                name=s["name"],
                higher_is_ready=s["higher_is_ready"],
                description=" ".join(s.get("description", "").split()),
                items=its,
            )
        )

    rule = data["missing_rule"]
    if rule["method"] == "prorate":
        smallest = min(subscales, key=lambda s: len(s.items))
        if rule.get("max_missing", 0) >= len(smallest.items):
            raise InputError(
                path,
                "missing_rule.max_missing would score respondents who skipped every item of a subscale",
                key="missing_rule.max_missing",
                found=rule.get("max_missing", 0),
                expected=f"fewer than {len(smallest.items)}, the number of items of subscale {smallest.id}",
            )
    return Instrument(
        id=data["id"],
        name=data["name"],
        labels=tuple(labels),
        scores=tuple(scores),
        aliases=aliases,
        missing_values=frozenset(v.strip() for v in data["missing_values"]),
        missing_method=rule["method"],
        max_missing=int(rule.get("max_missing", 0)) if rule["method"] == "prorate" else 0,
        items=tuple(items),
        subscales=tuple(subscales),
        source=" ".join(data.get("source", "").split()),
        path=str(path),
        label_lookup=lookup,
    )


def _refuse_codes(data: dict, path: str) -> None:
    """An instrument file from before codes moved to the config: one line saying where they go now.

    Numeric codes are a property of an export, not of the instrument: Qualtrics numbers the
    options by display order, REDCap as the designer typed them, SPSS by its value labels,
    so the same ``1`` means "Strongly agree" in one export and "Strongly disagree" in
    another. The export's codes are declared in the config (``survey.codes``) or by the file.
    """
    scale = data.get("response_scale")
    for i, cat in enumerate(scale if isinstance(scale, list) else []):
        if isinstance(cat, dict) and "code" in cat:
            raise InputError(
                path,
                "response categories no longer carry numeric codes (survey tools number answers their own way)",
                key=f"response_scale[{i}].code",
                found=cat["code"],
                expected="no 'code:' in the instrument; if the survey export holds numbers, declare what they mean in "
                f"config.yaml under survey.codes, e.g. survey.codes: {{{cat['code']}: {cat.get('label', '<label>')}}}",
            )


def load_instrument(path: str | Path) -> Instrument:
    data = load_yaml(path, what="instrument")
    if not isinstance(data, dict):
        raise InputError(
            path,
            "instrument file is not a mapping",
            found=type(data).__name__,
            expected="a YAML mapping with id, response_scale, subscales, items",
        )
    return parse_instrument(data, path=str(path))
