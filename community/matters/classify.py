"""Auto-classification of service requests: suggest event classes from the text and component.

A pure module (no models, no database, no Django imports): the matters services call
:func:`classify` when a request arrives and store the suggestions with their reasons.

Event classes
-------------
Two families, both identified by a short string code:

* **Catalog classes** (:data:`CATALOG_EVENT_CLASSES`): the 35 rows of the shared
  ``event_classes.csv`` (digital urban-management events): majors such as ``01`` 市容环境 and
  minors such as ``0102`` 暴露垃圾. Only minors are suggested; a major is a heading.
* **Component classes** (:func:`component_event_classes`): one class per component class
  (the 4-digit codes of ``component_catalog.catalog_data``, local extension codes included)
  and condition, with the code scheme of :func:`component_event_code`::

      "<4-digit component class>-<condition>"      e.g. "0101-damaged" 上水井盖破损

  (the codes of ``community.matters.catalog.component_event_code``)

  ``damaged`` (破损): broken, not working, dirty or out of supplies -- the facility is
  there but needs maintenance; ``missing`` (丢失): the facility or a part of it is gone
  (stolen, removed); ``occupied`` (占用): the facility is blocked, locked or taken over by
  someone else. The hyphen keeps the codes apart from the all-digit catalog codes, safe in
  URLs (Open311 ``services/{code}.json``) and sorted next to their component class.
  :func:`parse_component_event_code` reverses it.

The model
---------
Explainable scores, no trained black box (scikit-learn is not a dependency of the project,
and a linear score over visible keywords is easier to trust):

1. The text is normalised (NFKC, case-folded, control characters such as NUL and symbols
   such as emoji turned into separators) and only its first :data:`MAX_TEXT_CHARS`
   characters are read.
2. Features: character 1-, 2- and 3-grams of every run of Chinese characters (no word
   segmenter needed) and the words of every run of Latin letters.
3. Each catalog class has a profile: the TF-IDF centroid of its names and of the example
   phrasings in ``data/classify_examples.csv``. The text's score for a class is the cosine
   of its TF-IDF vector with the profile; the reasons name the parts of the text whose
   n-grams carried the score.
4. A component class ``K-c`` scores ``evidence(K) * (BASE + (1 - BASE) * condition)``:
   ``evidence`` is 1 for the clicked component (``BASE`` :data:`COMPONENT_BASE`), less when
   the text only names the component through an alias such as 井盖 or "toilet" (``BASE``
   :data:`NAMED_BASE`), and the class is no candidate otherwise; ``condition`` is the
   better of the cosine with the profile of condition ``c`` and a weighted cosine with its
   nearest single phrasing (generic phrasings such as 坏了 / 丢了 / 被占了, plus any written
   for ``K-c`` itself, such as 厕所没有纸 for ``0301-damaged``). So a clicked component with no
   text offers its three conditions, tied and below the threshold, and a text about
   something else (着火了 at a clicked toilet) still ranks its own class first.
5. Confidence: a softmax over the candidates' scores (temperature :data:`TEMPERATURE`),
   with an extra "none of these" candidate of score :data:`NONE_SCORE`, so a text that
   matches nothing well leaves most of the mass on "none" and every suggestion low.

:data:`AUTO_ROUTE_THRESHOLD` is the confidence at or above which the top suggestion may be
routed without a person confirming it (see its comment for how it was chosen).
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from community.matters.catalog import COMPONENT_PROBLEMS, EVENT_ROWS
from component_catalog.catalog_data import CLASSES as COMPONENT_CLASSES

EXAMPLES_PATH = Path(__file__).resolve().parent / "data" / "classify_examples.csv"

# Only the head of a text is read: a resident says what the problem is first, and the cap
# bounds the time of a call (100 kB pasted into the form costs the same as 1000 characters).
MAX_TEXT_CHARS = 1000

# Softmax temperature of the confidence and the score of the "none of these" candidate.
# Scores are cosines in 0..1; with T = 0.03 a lead of 0.03 in cosine is a factor e (2.7) in
# confidence. NONE_SCORE is about the cosine of a text that shares only stray characters
# with a profile (天气不错, 请尽快处理).
TEMPERATURE = 0.03
NONE_SCORE = 0.1

# At or above this confidence the top suggestion routes without a person; below it a person
# confirms the class. Chosen with TEMPERATURE, NONE_SCORE and the weights below by
# leave-one-out over the training phrasings (each left out in turn, the model rebuilt
# without it): half of them (116 of 232) cleared 0.8 and 97% of those were right, against
# 92% at 0.7 (top-1 over all of them: 83%, top-3: 98%). On the held-out phrasings of
# tests/test_matters_classify.py, 41 of 59 cleared it and 40 were right. A wrong class that
# clears it still reaches a person: the dispatcher sees the reasons and overrides.
AUTO_ROUTE_THRESHOLD = 0.8

# Component evidence: a clicked component is certain; a component the text names through
# one of its aliases is likely, and more so when the alias belongs to that class alone
# (污水井 -> 0102) than when several classes share it (井盖 -> every manhole cover).
CLICKED_EVIDENCE = 1.0
NAMED_EVIDENCE_UNIQUE = 0.8
NAMED_EVIDENCE_SHARED = 0.6
# Weight of the nearest single example against the centroid (see _fit): the condition
# phrasings are short and distinct (破了, 被偷了), so a text matching one of them well is
# clear evidence even when the centroid of all of them is diffuse. (For the catalog classes
# the centroid alone was better: leave-one-out over the examples, the nearest example made
# more confident mistakes.)
CONDITION_EXAMPLE_WEIGHT = 0.6
# Share of a component class's score that the component alone gives, before the condition.
COMPONENT_BASE = 0.15
# The same for a component the text only names: naming a facility is not yet a complaint
# about it (电线杆上贴满小广告 is about posters), the condition words have to carry it.
NAMED_BASE = 0.1

CONDITIONS: tuple[str, ...] = ("damaged", "missing", "occupied")
# The catalog's words for the conditions (``catalog.COMPONENT_PROBLEMS``), so that the
# classifier's names are the event classes' names.
CONDITION_NAMES: dict[str, tuple[str, str]] = {
    code: (zh, en) for code, zh, en, _accept, _resolve in COMPONENT_PROBLEMS
}

# Weight of n-grams the model has never seen, relative to the rarest known one. They count
# in the length of the text's vector, so a text that is mostly unknown words scores low;
# damped, so that a long description ("着火了，好大的烟，快来人") is not drowned by its
# ordinary words.
UNKNOWN_DAMPING = 0.5

# n-gram weights: single characters are weak evidence (了, 有, 的 are everywhere).
_UNIGRAM_WEIGHT = 0.3
_NGRAM_WEIGHT = 1.0
_WORD_WEIGHT = 1.5
_EN_STOPWORDS = frozenset(
    " ".join(
        (
            "a an the is are was were be been it its this that there here of on in at to for",
            "from by with and or but not no has have had do does did so very too we our i my",
            "me you they them he she his her as into out up all any some",
        )
    ).split()
)
_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z]+")
_COMPONENT_CODE = re.compile(r"^\d{4}$")
_COMPONENT_EVENT_CODE = re.compile(r"^(\d{4})-(damaged|missing|occupied)$")


# ---- event classes --------------------------------------------------------------------------


@dataclass(frozen=True)
class EventClass:
    """One event class: catalog (``component_class`` None) or component-related."""

    code: str
    major: str  # the major's code; "" for a major itself
    name_zh: str
    name_en: str
    component_class: str | None = None
    condition: str | None = None


# The catalog's event classes (``catalog.EVENT_ROWS``, copied from
# shared/data/catalog/event_classes.csv and checked against it by the tests).
CATALOG_EVENT_CLASSES: tuple[EventClass, ...] = tuple(
    EventClass(code, major, zh, en) for code, major, zh, en in EVENT_ROWS
)


def component_event_code(component_class: str, condition: str) -> str:
    """The event class code of a component class in a condition: ``("0101", "damaged")`` ->
    ``"0101-damaged"``. ``condition`` is one of :data:`CONDITIONS`; raises ``ValueError``
    otherwise or for a component class that is not 4 digits."""
    if not isinstance(component_class, str) or not _COMPONENT_CODE.match(component_class):
        raise ValueError(f"component_class: expected 4 digits, got {component_class!r}")
    if condition not in CONDITIONS:
        raise ValueError(f"condition: expected one of {', '.join(CONDITIONS)}, got {condition!r}")
    return f"{component_class}-{condition}"


def parse_component_event_code(code: str) -> tuple[str, str] | None:
    """``"0101-damaged"`` -> ``("0101", "damaged")``; None for any other code (catalog codes
    too)."""
    match = _COMPONENT_EVENT_CODE.match(code) if isinstance(code, str) else None
    if match is None:
        return None
    return match.group(1), match.group(2)


def component_event_names(
    component_class: str, condition: str, name_zh: str | None = None, name_en: str | None = None
) -> tuple[str, str]:
    """Chinese and English names of a component event class: 上水井盖破损 and
    "Water-supply manhole cover damaged". Names default to the catalog's, then to a generic
    "部件 0127" / "Component 0127" for a local extension class."""
    component_event_code(component_class, condition)  # validates both
    known = _component_names().get(component_class)
    zh = name_zh or (known[0] if known else f"部件{component_class}")
    en = name_en or (known[1] if known else f"Component {component_class}")
    condition_zh, condition_en = CONDITION_NAMES[condition]
    return f"{zh}{condition_zh}", f"{en} {condition_en}"


def component_event_class(component_class: str, condition: str) -> EventClass:
    """The :class:`EventClass` of one component class and condition."""
    name_zh, name_en = component_event_names(component_class, condition)
    major = _COMPONENT_MAJORS.get(component_class, component_class[:2])
    return EventClass(
        component_event_code(component_class, condition),
        major,
        name_zh,
        name_en,
        component_class,
        condition,
    )


def component_event_classes(
    component_classes: Iterable[str] | None = None,
) -> tuple[EventClass, ...]:
    """Every component event class: each condition of each component class (default: every
    minor class of the component catalog), in code order."""
    codes = sorted(set(component_classes or _component_names()))
    return tuple(component_event_class(code, cond) for code in codes for cond in CONDITIONS)


def event_class(code: str) -> EventClass | None:
    """The event class of a code, catalog or component (None if unknown)."""
    for cls in CATALOG_EVENT_CLASSES:
        if cls.code == code:
            return cls
    parsed = parse_component_event_code(code)
    return component_event_class(*parsed) if parsed else None


_COMPONENT_MAJORS: dict[str, str] = {cls["code"]: cls["major"] for cls in COMPONENT_CLASSES}


@cache
def _component_names() -> dict[str, tuple[str, str]]:
    return {cls["code"]: (cls["name_zh"], cls["name_en"]) for cls in COMPONENT_CLASSES}


# ---- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """Why a class was suggested: ``kind`` is ``"keywords"`` (``terms`` are the parts of the
    text that matched the class's names and examples), ``"condition"`` (the parts that
    matched the damaged / missing / occupied phrasings), ``"clicked_component"`` or
    ``"named_component"`` (``terms``: the component class code and name, and for a named
    one the alias found in the text). ``weight``: the share of the score it carried."""

    kind: str
    terms: tuple[str, ...]
    weight: float

    def text(self, language: str = "zh") -> str:
        """The reason as a sentence a person reads, in Chinese (default) or English."""
        quoted = "、".join(f"“{term}”" for term in self.terms)
        quoted_en = ", ".join(f'"{term}"' for term in self.terms)
        zh = language.lower().startswith("zh")
        if self.kind == "clicked_component":
            code, name = self.terms[0], self.terms[1]
            return f"点选的部件：{name}（{code}）" if zh else f"Clicked component: {name} ({code})"
        if self.kind == "named_component":
            code, name, alias = self.terms
            return (
                f"描述提到“{alias}”：{name}（{code}）"
                if zh
                else f'The text mentions "{alias}": {name} ({code})'
            )
        if self.kind == "condition":
            return f"描述中的状况：{quoted}" if zh else f"Condition words in the text: {quoted_en}"
        return f"匹配的关键词：{quoted}" if zh else f"Matching words: {quoted_en}"


@dataclass(frozen=True)
class Suggestion:
    """One suggested event class with its confidence (0..1) and reasons."""

    code: str
    name_zh: str
    name_en: str
    confidence: float
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Classification:
    """The ranked suggestions (best first) and whether the best may route without a person.

    ``confident``: the top suggestion's confidence is at least :data:`AUTO_ROUTE_THRESHOLD`.
    ``chars_read``: how many characters of the normalised text were read (at most
    :data:`MAX_TEXT_CHARS`); ``truncated``: the text was longer and the rest ignored."""

    suggestions: tuple[Suggestion, ...]
    confident: bool
    chars_read: int
    truncated: bool

    @property
    def top(self) -> Suggestion | None:
        return self.suggestions[0] if self.suggestions else None


# ---- features -------------------------------------------------------------------------------


def normalise(text: str | None) -> tuple[str, bool]:
    """Case-folded NFKC text with control, format, symbol and unassigned characters (NUL,
    emoji, ...) replaced by spaces, cut to :data:`MAX_TEXT_CHARS`; and whether it was cut."""
    if not text or not isinstance(text, str):
        return "", False
    # Cut before normalising too, so a huge text costs no more than a long one; NFKC can
    # grow a string a little, hence the second cut.
    raw_cut = len(text) > MAX_TEXT_CHARS * 2
    text = unicodedata.normalize("NFKC", text[: MAX_TEXT_CHARS * 2]).casefold()
    chars = [" " if unicodedata.category(ch)[0] in "CSZ" else ch for ch in text]
    cleaned = "".join(chars)
    return cleaned[:MAX_TEXT_CHARS], raw_cut or len(cleaned) > MAX_TEXT_CHARS


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


Span = tuple[int, int]


def _features(text: str) -> dict[str, tuple[float, list[Span]]]:
    """Feature -> (weighted count, positions in ``text``)."""
    found: dict[str, tuple[float, list[Span]]] = {}

    def add(feature: str, weight: float, span: Span) -> None:
        count, spans = found.get(feature, (0.0, []))
        spans.append(span)
        found[feature] = (count + weight, spans)

    for match in _TOKEN.finditer(text):
        token, start = match.group(), match.start()
        if token[0].isascii():
            if len(token) > 1 and token not in _EN_STOPWORDS:
                add("w:" + _stem(token), _WORD_WEIGHT, (start, match.end()))
            continue
        for size, weight in ((1, _UNIGRAM_WEIGHT), (2, _NGRAM_WEIGHT), (3, _NGRAM_WEIGHT)):
            for i in range(len(token) - size + 1):
                add(token[i : i + size], weight, (start + i, start + i + size))
    return found


# ---- the trained model ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Model:
    idf: dict[str, float]
    unknown_idf: float
    # profile name -> unit TF-IDF vectors: the centroid first, then each example's own.
    # Names: catalog codes ("0102"), "condition:damaged", and component event codes with
    # phrasings of their own ("0301-damaged", the generic condition phrasings included).
    profiles: dict[str, tuple[dict[str, float], ...]]
    # alias -> component classes it names, and aliases sorted longest first
    aliases: dict[str, tuple[str, ...]]


def _read_examples() -> dict[str, list[str]]:
    """Target -> texts. A ``keywords:<code>`` row's ``|``-separated keywords count as short
    examples of ``<code>``; ``component:<code>`` rows keep their alias lists whole."""
    examples: dict[str, list[str]] = defaultdict(list)
    with EXAMPLES_PATH.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            target, text = row["target"], row["text"]
            if target.startswith("keywords:"):
                examples[target.removeprefix("keywords:")] += text.split("|")
            else:
                examples[target].append(text)
    return examples


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(value * value for value in vector.values()))
    return {key: value / norm for key, value in vector.items()} if norm else {}


@cache
def _model() -> _Model:
    examples = _read_examples()
    docs: dict[str, list[str]] = {}
    for cls in CATALOG_EVENT_CLASSES:
        if cls.major:
            docs[cls.code] = [cls.name_zh, cls.name_en, *examples.get(cls.code, [])]
    for condition in CONDITIONS:
        zh, en = CONDITION_NAMES[condition]
        docs[f"condition:{condition}"] = [zh, en, *examples.get(f"condition:{condition}", [])]
    specific = sorted(key for key in examples if parse_component_event_code(key))
    for code in specific:
        docs[code] = list(examples[code])

    # Document frequency over the catalog classes and the conditions (the component-specific
    # phrasings are few and would make their words look common).
    df: Counter[str] = Counter()
    counted = [key for key in docs if not parse_component_event_code(key)]
    for key in counted:
        seen: set[str] = set()
        for text in docs[key]:
            seen.update(_features(normalise(text)[0]))
        df.update(seen)
    total = len(counted)
    idf = {feature: math.log((1 + total) / (1 + count)) + 1 for feature, count in df.items()}
    unknown_idf = math.log(1 + total) + 1

    def vector(text: str) -> dict[str, float]:
        feats = _features(normalise(text)[0])
        return _unit({f: count * idf.get(f, unknown_idf) for f, (count, _) in feats.items()})

    profiles: dict[str, tuple[dict[str, float], ...]] = {}
    for key, texts in docs.items():
        centroid: dict[str, float] = defaultdict(float)
        members = list(texts)
        parsed = parse_component_event_code(key)
        if parsed:  # the generic phrasings of the condition belong to it too
            members += docs[f"condition:{parsed[1]}"]
        vectors = [vector(text) for text in dict.fromkeys(members)]
        for member in vectors:
            for feature, value in member.items():
                centroid[feature] += value
        profiles[key] = (_unit(dict(centroid)), *(member for member in vectors if member))

    alias_map: dict[str, set[str]] = defaultdict(set)
    for code, (name_zh, name_en) in _component_names().items():
        names = [name_zh, name_en]
        for lang_key in (f"component:{code}",):
            for text in examples.get(lang_key, []):
                names += text.split("|")
        for name in names:
            alias = normalise(name)[0].strip()
            if alias:
                alias_map[alias].add(code)
    aliases = {alias: tuple(sorted(codes)) for alias, codes in alias_map.items()}
    return _Model(idf, unknown_idf, profiles, aliases)


def _named_components(text: str, model: _Model) -> dict[str, tuple[float, str]]:
    """Component classes the text names: code -> (evidence, alias). A match inside a longer
    match of another alias does not count (树 in 树池 names the tree pit, not the tree)."""
    hits: list[tuple[int, int, str]] = []
    for alias in model.aliases:
        if alias[0].isascii():
            pattern = r"(?<![a-z])" + re.escape(alias) + r"(?![a-z])"
            hits += [(m.start(), m.end(), alias) for m in re.finditer(pattern, text)]
        else:
            start = text.find(alias)
            while start >= 0:
                hits.append((start, start + len(alias), alias))
                start = text.find(alias, start + 1)
    kept = [
        hit
        for hit in hits
        if not any(
            other[0] <= hit[0] and hit[1] <= other[1] and other[1] - other[0] > hit[1] - hit[0]
            for other in hits
        )
    ]
    named: dict[str, tuple[float, str]] = {}
    for _start, _end, alias in sorted(kept, key=lambda hit: (-(hit[1] - hit[0]), hit)):
        codes = model.aliases[alias]
        evidence = NAMED_EVIDENCE_UNIQUE if len(codes) == 1 else NAMED_EVIDENCE_SHARED
        for code in codes:
            if code not in named or named[code][0] < evidence:
                named[code] = (evidence, alias)
    return named


def _matched_terms(
    text: str,
    query: dict[str, float],
    spans: dict[str, list[Span]],
    profile: dict[str, float],
) -> tuple[float, tuple[str, ...]]:
    """Cosine of the query with a profile and the parts of the text that carried it: the
    spans of the features giving 90% of the score, merged where they touch (at most 6)."""
    contributions = sorted(
        ((value * profile[f], f) for f, value in query.items() if f in profile),
        key=lambda item: (-item[0], item[1]),
    )
    score = sum(value for value, _ in contributions)
    if score <= 0:
        return 0.0, ()
    # Single characters alone (了, 有) explain nothing to a reader: name them only when
    # nothing longer matched.
    shown = [item for item in contributions if len(item[1]) > 1] or contributions
    total = sum(value for value, _ in shown)
    chosen: list[Span] = []
    carried = 0.0
    for value, feature in shown:
        if carried >= 0.9 * total:
            break
        carried += value
        chosen += spans[feature]
    merged: list[list[int]] = []
    for start, end in sorted(chosen):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    terms: list[str] = []
    for start, end in merged:
        term = text[start:end]
        if term not in terms:
            terms.append(term)
    return score, tuple(terms[:6])


def _fit(
    text: str,
    query: dict[str, float],
    spans: dict[str, list[Span]],
    vectors: tuple[dict[str, float], ...],
    example_weight: float,
) -> tuple[float, tuple[str, ...]]:
    """The better of the cosine with the centroid and ``example_weight`` times the cosine
    with the nearest single example, with the terms that carried it."""
    best = _matched_terms(text, query, spans, vectors[0])
    if example_weight > 0:
        for vector in vectors[1:]:
            score, terms = _matched_terms(text, query, spans, vector)
            if score * example_weight > best[0]:
                best = (score * example_weight, terms)
    return best


# ---- classify -------------------------------------------------------------------------------


def classify(
    text: str | None, component_class: str | None = None, *, limit: int = 5
) -> Classification:
    """Suggest event classes for a request's ``text`` (Chinese or English, may be empty) and
    the ``component_class`` (4-digit code) of the clicked component, if any.

    Returns at most ``limit`` suggestions, best first, ties broken by code (the result is a
    pure function of the arguments). Never raises for any text; raises ``ValueError`` for a
    ``component_class`` that is not a 4-digit string (the caller validates its input)."""
    if component_class is not None and (
        not isinstance(component_class, str) or not _COMPONENT_CODE.match(component_class)
    ):
        raise ValueError(f"component_class: expected 4 digits, got {component_class!r}")
    clean, truncated = normalise(text)
    candidates = _candidates(clean, component_class)
    mass = math.exp(NONE_SCORE / TEMPERATURE) + sum(
        math.exp(score / TEMPERATURE) for score, _, _ in candidates
    )
    suggestions = []
    for score, code, reasons in candidates[: max(0, limit)]:
        cls = event_class(code)
        assert cls is not None
        confidence = math.exp(score / TEMPERATURE) / mass
        suggestions.append(
            Suggestion(code, cls.name_zh, cls.name_en, round(confidence, 4), reasons)
        )
    confident = bool(suggestions) and suggestions[0].confidence >= AUTO_ROUTE_THRESHOLD
    return Classification(tuple(suggestions), confident, len(clean), truncated)


Candidate = tuple[float, str, tuple[Reason, ...]]


def _candidates(clean: str, component_class: str | None) -> list[Candidate]:
    """Every class with some evidence as (score, code, reasons), best first."""
    model = _model()
    features = _features(clean)
    query = _unit(
        {
            f: count * model.idf.get(f, model.unknown_idf * UNKNOWN_DAMPING)
            for f, (count, _) in features.items()
        }
    )
    spans = {f: positions for f, (_, positions) in features.items()}

    candidates: list[Candidate] = []
    for cls in CATALOG_EVENT_CLASSES:
        if not cls.major:
            continue
        score, terms = _fit(clean, query, spans, model.profiles[cls.code], 0.0)
        if score > 0:
            candidates.append((score, cls.code, (Reason("keywords", terms, 1.0),)))

    components: dict[str, tuple[float, Reason]] = {}
    for code, (evidence, alias) in _named_components(clean, model).items():
        name = _component_name_zh(code)
        components[code] = (evidence, Reason("named_component", (code, name, alias), 0.0))
    if component_class is not None:
        name = _component_name_zh(component_class)
        components[component_class] = (
            CLICKED_EVIDENCE,
            Reason("clicked_component", (component_class, name), 0.0),
        )
    fits: dict[str, tuple[float, tuple[str, ...]]] = {}
    for code, (evidence, component_reason) in sorted(components.items()):
        for condition in CONDITIONS:
            event_code = component_event_code(code, condition)
            key = event_code if event_code in model.profiles else f"condition:{condition}"
            if key not in fits:  # most components share the generic condition profiles
                fits[key] = _fit(clean, query, spans, model.profiles[key], CONDITION_EXAMPLE_WEIGHT)
            fit, terms = fits[key]
            base = COMPONENT_BASE if component_reason.kind == "clicked_component" else NAMED_BASE
            score = evidence * (base + (1 - base) * fit)
            base_share = evidence * base / score
            reasons = [Reason(component_reason.kind, component_reason.terms, round(base_share, 3))]
            if terms:
                reasons.append(Reason("condition", terms, round(1 - base_share, 3)))
            candidates.append((score, event_code, tuple(reasons)))

    # A stable order: score, then code (the condition letters D < M < O follow CONDITIONS).
    # Scores are rounded so that float noise between platforms cannot reorder ties.
    candidates.sort(key=lambda item: (-round(item[0], 12), item[1]))
    return candidates


def warm_up() -> None:
    """Build the model now (tens of milliseconds) rather than on the first request: call it
    from an ``AppConfig.ready`` or a worker's start if the first request's latency matters."""
    _model()


def _component_name_zh(code: str) -> str:
    known = _component_names().get(code)
    return known[0] if known else f"部件{code}"
