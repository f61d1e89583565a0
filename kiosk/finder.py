"""The service finder (您要办什么？): every service findable by what citizens call it.

Citizens do not know the services' names. The index is built once, at start, from the
flows found: each flow's title, description and `keywords` (its synonyms: one message
of words apart by spaces), in every language of the catalogue, and the pinyin of every
Chinese word (pypinyin). A citizen then finds a service by its characters (身份证), a
homophone (身分证), its full pinyin (shenfenzheng), its initials (sfz) or a mix of the
two (shenfz), or English words (ID card). Each keystroke searches a few hundred short
terms in memory: nothing is computed again, nothing typed is kept.

Scores: a title counts three times, a synonym twice, the description once; a whole
word beats its beginning, its beginning beats its middle. A weak match (two characters
in common, 证明 of 开证明) is listed after every strong one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from pypinyin import Style, lazy_pinyin

from kiosk.strings import Catalogue

HANZI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# what separates words in a title or a synonym list (the pinyin keyboard's ' too)
SEPARATORS = re.compile(r"[\s,，、;；/／()（）·:：。.!！?？“”\"'‘’\-—]+")
# words of an English question that say nothing of the service
STOP_WORDS = frozenset(
    "a an the of for to my me i want need get please and or in on do how can with".split()
)
WEIGHTS = {"title": 3, "keywords": 2, "description": 1}
LIMIT = 8  # results shown: large tiles, a screen's worth
LONGEST = 40  # characters of a query read: no service is named by more


@dataclass(frozen=True)
class ServiceNames:
    """What the finder knows of a flow: its id and the message ids that name it."""

    flow: str
    title: str
    description: str | None = None
    keywords: str | None = None


@dataclass(frozen=True)
class Term:
    """One name a flow goes by: Chinese words with their pinyin syllables, or the
    words of a text in another script, lower-case."""

    flow: str
    weight: int
    text: str
    syllables: tuple[str, ...] = ()  # Chinese terms only
    words: tuple[str, ...] = ()  # other scripts only


@dataclass(frozen=True)
class EverydayChoice:
    """A large button on the finder: an everyday word and what it searches for."""

    id: str
    text: str  # message id
    query: str


# The finder's first screen: what people say at the counter, not the services' names.
EVERYDAY = (
    EverydayChoice("id_card", "ui.finder.choice.id_card", "身份证"),
    EverydayChoice("photo", "ui.finder.choice.photo", "照相"),
    EverydayChoice("hk_macao", "ui.finder.choice.hk_macao", "去港澳"),
    EverydayChoice("proof", "ui.finder.choice.proof", "开证明"),
    EverydayChoice("check_proof", "ui.finder.choice.check_proof", "核验证明"),
    EverydayChoice("queue", "ui.finder.choice.queue", "排队"),
)


@dataclass
class ServiceIndex:
    terms: list[Term] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # the flows as the home screen lists them

    @classmethod
    def build(cls, services: Iterable[ServiceNames], strings: Catalogue) -> ServiceIndex:
        """The index of `services`, in every language `strings` holds."""
        index = cls()
        for names in services:
            index.order.append(names.flow)
            for part, weight in WEIGHTS.items():
                message_id = getattr(names, part)
                for by_id in strings.messages.values() if message_id else ():
                    message = by_id.get(message_id)
                    if message is not None and message.text:
                        index.terms += terms_of(names.flow, message.text, weight, part)
        return index

    def search(self, query: str, limit: int = LIMIT) -> list[str]:
        """The flows `query` names, best first."""
        found = self.scores(query)
        ranked = sorted(found, key=lambda flow: (-found[flow], self.order.index(flow)))
        return ranked[:limit]

    def scores(self, query: str) -> dict[str, int]:
        """Each matching flow's best score for `query` (weak matches only where they
        are all there is for that flow)."""
        text = normalise(query)
        if not text:
            return {}
        best: dict[str, int] = {}
        for term in self.terms:
            score = term.weight * match(text, term)
            if score > best.get(term.flow, 0):
                best[term.flow] = score
        return best


def terms_of(flow: str, text: str, weight: int, part: str) -> list[Term]:
    """The terms of one message: a title whole and by its parts, synonyms word by word,
    a description by its clauses (Chinese); the words of a text in another script."""
    pieces = [p for p in SEPARATORS.split(text) if p]
    if not HANZI.search(text):
        return [Term(flow, weight, text.lower(), words=tuple(p.lower() for p in pieces))]
    chinese = ["".join(pieces), *pieces] if part == "title" else pieces
    return [
        Term(flow, weight, piece, syllables=pinyin(piece) if part != "description" else ())
        for piece in dict.fromkeys(chinese)  # each once, in order
        if HANZI.search(piece)
    ]


def pinyin(text: str) -> tuple[str, ...]:
    """The syllables of a Chinese text without tones (ü as v, as the keyboard types it);
    other characters dropped. Not cached: what a citizen typed is not kept."""
    return tuple(s for s in lazy_pinyin(text, style=Style.NORMAL, errors="ignore") if s.isalpha())


def normalise(query: str) -> str:
    """Full-width letters made plain, lower case, the pinyin keyboard's ' dropped."""
    text = unicodedata.normalize("NFKC", query[:LONGEST]).lower().replace("'", "")
    return " ".join(text.split())


def match(query: str, term: Term) -> int:
    """How well a normalised query names a term (0: not at all)."""
    if HANZI.search(query):
        return _by_characters(query, term)
    if term.syllables:
        return _by_pinyin(query.replace(" ", ""), term.syllables)
    return _by_words(query, term)


def _by_characters(query: str, term: Term) -> int:
    text = term.text
    if not term.syllables and not HANZI.search(text):
        return 0
    if query == text:
        return 100
    if text.startswith(query):
        return 80
    if query in text:
        return 60
    if len(text) >= 2 and text in query:  # the query says more: 我要换身份证
        return min(40 + 5 * len(text), 60)  # the longer the word it holds, the surer
    sounds = pinyin(query)  # a homophone typed (身分证), or a character the keyboard offered
    if term.syllables and sounds:
        if term.syllables[: len(sounds)] == sounds:
            return 60 if len(sounds) == len(term.syllables) else 45
        if _contains(term.syllables, sounds):
            return 35
    common = _longest_common(query, text)
    return 10 * min(common, 4) if common >= 2 and term.weight >= 2 else 0


def _by_pinyin(query: str, syllables: tuple[str, ...]) -> int:
    """Each piece of the query the beginning of the next syllable: full pinyin
    (shenfenzheng), initials (sfz), or both (shenfz); at the term's start, or (two
    letters or more) inside it."""
    if not query.isalpha():
        return 0
    best = 0
    for start in range(len(syllables) if len(query) >= 2 else 1):
        ends = _ends(query, syllables, start)
        if ends and start == 0:
            best = max(best, 90 if len(syllables) in ends else 70)
        elif ends:
            best = max(best, 40)
    return 30 if best and len(query) == 1 else best


def _ends(query: str, syllables: tuple[str, ...], first: int) -> set[int]:
    """Where the syllables can end when the query is read from syllable `first` on,
    each syllable taking a non-empty beginning of itself."""
    reached = {(0, first)}  # (letters read, next syllable), breadth first
    ends: set[int] = set()
    while reached:
        step: set[tuple[int, int]] = set()
        for at, syllable in reached:
            if at == len(query):
                ends.add(syllable)
                continue
            if syllable == len(syllables):
                continue
            word = syllables[syllable]
            for length in range(1, min(len(word), len(query) - at) + 1):
                if query.startswith(word[:length], at):
                    step.add((at + length, syllable + 1))
        reached = step
    return ends


def _by_words(query: str, term: Term) -> int:
    """Every meaningful word of the query begins a word of the text (ID card renewal)."""
    wanted = [w for w in query.split() if w not in STOP_WORDS] or query.split()
    if not term.words or not wanted:
        return 0
    if len(wanted) == 1 and len(wanted[0]) == 1:  # one letter: the text's first word only
        return 30 if term.words[0].startswith(wanted[0]) else 0
    if all(w in term.words for w in wanted):
        return 85
    if all(any(word.startswith(w) for word in term.words) for w in wanted):
        return 65
    return 0


def _contains(whole: tuple[str, ...], part: tuple[str, ...]) -> bool:
    return any(whole[i : i + len(part)] == part for i in range(len(whole) - len(part) + 1))


def _longest_common(a: str, b: str) -> int:
    """The longest run of characters the two share."""
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            if a[i:j] in b:
                best = j - i
            else:
                break
    return best
