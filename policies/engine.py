"""The judge: every active crisis, every rule, one post at a time.

A Judge is built for one set of active crises (one crisis epoch) and reused for every
post judged under it. Its matchers (one Aho-Corasick automaton per set of languages,
holding every crisis's keywords, the idioms of their categories and the tone phrases)
are built on first use, once per epoch, never per post.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from policies.lexicon import (
    PHRASE_GROUPS,
    Found,
    Hit,
    Matcher,
    available_languages,
    group_by_label,
    keyword_patterns,
    lexicon_patterns,
)
from policies.models import (
    PUBLISH,
    BrandFacts,
    Crisis,
    Decision,
    PostFacts,
    Reason,
    Severity,
    combine,
)
from policies.normalise import normalise
from policies.playbook import Playbook, default_playbook
from policies.rules import RULES, Context, Rule

PlaybookFor = Callable[[str], Playbook]
#: English idioms are checked in every language: brands borrow them ("DA BOMB")
LINGUA_FRANCA = "en"
#: phrase groups that change a decision without being quoted in it (a sale's wording
#: makes a post promotion; a pointer to help keeps a condolence from being empty)
_UNCITED = frozenset({("phrase", "promotion"), ("phrase", "help")})
_NO_GROUPS: frozenset[tuple[str, str]] = frozenset()


def _default(_brand: str) -> Playbook:
    return default_playbook()


class Judge:
    def __init__(self, crises: Sequence[Crisis], playbook_for: PlaybookFor = _default) -> None:
        self.crises = tuple(crises)
        self._playbook_for = playbook_for
        self._languages = frozenset(available_languages())
        self._matchers: dict[tuple[str, ...], Matcher] = {}
        self._telling_tags: dict[int, frozenset[str]] = {}
        self._langs_for: dict[str | None, tuple[str, ...]] = {}
        self._rule_lists: dict[tuple[int, Severity], list[Rule]] = {}
        # What depends only on the brand, channel and language is worked out once per
        # Judge, not once per post: the crises in scope, the playbook, and the decision
        # for a post in which no words matched (it depends on tags and automation only).
        self._scopes: dict[tuple[str, str, str | None], tuple[Crisis, ...]] = {}
        self._playbooks: dict[str, Playbook] = {}
        self._wordless: dict[tuple[object, ...], Decision] = {}

    def judge(self, post: PostFacts) -> Decision:
        """The decision for one post under every active crisis that has it in scope."""
        crises = self.reaching(post.brand, post.channel, post.lang)
        if not crises:
            return PUBLISH
        matcher = self._matcher(self._lexicon_langs(post.lang))
        norm = post.norm if post.norm is not None else normalise(post.text, post.lang)
        hits = matcher.hits(norm)
        playbook = self._playbook(post.brand.id)
        groups = _NO_GROUPS
        if hits:
            groups = frozenset(h.pattern.label for h in hits)
            if not groups <= _UNCITED:
                return combine(self._reasons(post, crises, playbook, matcher, hits, norm))
        # No event words and no phrase a reason would quote: the decision depends only on
        # the brand, the tags, automation and the prepared alternative, so it is shared.
        telling = post.tags & self._tagged(playbook)
        if not telling and not post.automated and not groups:
            return PUBLISH  # no rule can fire without words, automation or telling tags
        key = (post.brand.id, id(crises), telling, post.automated, groups, post.crisis_text,
               post.lang)
        decision = self._wordless.get(key)
        if decision is None:
            decision = combine(self._reasons(post, crises, playbook, matcher, hits, norm))
            self._wordless[key] = decision
        return decision

    def _reasons(self, post: PostFacts, crises: Sequence[Crisis], playbook: Playbook,
                 matcher: Matcher, hits: list[Hit], norm: str) -> list[Reason]:
        grouped = group_by_label(hits)
        phrases = {g: grouped.get(("phrase", g), ()) for g in PHRASE_GROUPS}
        located: list[Found] | None = None

        def locate(wanted: Sequence[Hit]) -> tuple[Found, ...]:
            nonlocal located
            if not wanted:
                return ()
            if located is None:
                located = matcher.locate(post.text, post.lang, hits, norm)
            keys = {(h.pattern.label, h.pattern.text) for h in wanted}
            chosen = [f for f in located if (f.label, f.pattern) in keys]
            return _outermost(chosen)

        reasons: list[Reason] = []
        for crisis in crises:
            ctx = Context(post=post, crisis=crisis, playbook=playbook,
                          keywords=grouped.get(("keyword", str(crisis.id)), ()),
                          idioms=grouped.get(("idiom", crisis.category), ()),
                          phrases=phrases, locate=locate)
            reasons += [r for rule in self._rules(playbook, crisis)
                        if (r := rule(ctx)) is not None]
        return reasons

    def reaching(self, brand: BrandFacts, channel: str, lang: str | None) -> tuple[Crisis, ...]:
        """The crises that have posts of this brand, channel and language in scope."""
        key = (brand.id, channel, lang)
        crises = self._scopes.get(key)
        if crises is None:
            probe = PostFacts(text="", brand=brand, channel=channel, lang=lang)
            crises = self._scopes[key] = tuple(c for c in self.crises if in_scope(probe, c))
        return crises

    def may_reach(self, brand: BrandFacts) -> bool:
        """Whether any crisis can have a post of this brand in scope."""
        return any(brand_in_scope(brand, crisis) for crisis in self.crises)

    def _playbook(self, brand_id: str) -> Playbook:
        playbook = self._playbooks.get(brand_id)
        if playbook is None:
            playbook = self._playbooks[brand_id] = self._playbook_for(brand_id)
        return playbook

    def _tagged(self, playbook: Playbook) -> frozenset[str]:
        """Tags that let a rule fire on a post with no matched words."""
        tags = self._telling_tags.get(id(playbook))
        if tags is None:
            tags = self._telling_tags[id(playbook)] = (playbook.tags.promotion |
                                                       playbook.tags.automated_sequence |
                                                       playbook.tags.service)
        return tags

    def _rules(self, playbook: Playbook, crisis: Crisis) -> list[Rule]:
        """The rules this playbook applies at this crisis's severity (worked out once)."""
        key = (id(playbook), crisis.severity)
        rules = self._rule_lists.get(key)
        if rules is None:
            rules = self._rule_lists[key] = [
                rule for rule_id, rule in RULES.items()
                if playbook.applies(rule_id, crisis.severity)]
        return rules

    def _lexicon_langs(self, lang: str | None) -> tuple[str, ...]:
        langs = self._langs_for.get(lang)
        if langs is None:
            base = (lang or "").split("-")[0]
            langs = tuple(sorted({base, LINGUA_FRANCA})) if base in self._languages else \
                tuple(sorted(self._languages))  # unknown language: every lexicon
            self._langs_for[lang] = langs
        return langs

    def _matcher(self, langs: tuple[str, ...]) -> Matcher:
        matcher = self._matchers.get(langs)
        if matcher is None:
            categories = sorted({c.category for c in self.crises})
            patterns = lexicon_patterns(langs, categories=categories)
            for crisis in self.crises:
                patterns += keyword_patterns(crisis.keywords, str(crisis.id))
            matcher = self._matchers[langs] = Matcher(patterns)
        return matcher


def _outermost(found: list[Found]) -> tuple[Found, ...]:
    """One match per stretch of text: 'DA BOMB' rather than also 'BOMB' inside it, and one
    of two keywords that found the same words (Boston, #BostonStrong)."""
    ordered = sorted(found, key=lambda f: (f.start, -(f.end - f.start)))
    kept: list[Found] = []
    for item in ordered:
        if not any(k.start <= item.start and item.end <= k.end for k in kept):
            kept.append(item)
    return tuple(kept)


def in_scope(post: PostFacts, crisis: Crisis) -> bool:
    """Rule 6: most of the business keeps working; a crisis reaches only its scope."""
    brand = post.brand
    if crisis.channels and post.channel not in crisis.channels:
        return False
    lang = post.lang or (brand.languages[0] if brand.languages else None)
    if crisis.langs and lang is not None and lang.split("-")[0] not in crisis.langs:
        return False
    return brand_in_scope(brand, crisis)


def brand_in_scope(brand: BrandFacts, crisis: Crisis) -> bool:
    """Whether some post of the brand can be in the crisis's scope (its channel and
    language can only narrow that)."""
    if crisis.brands and brand.id not in crisis.brands:
        return False
    return not crisis.regions or regions_overlap(brand.regions, crisis.regions)


def regions_overlap(brand_regions: Iterable[str], crisis_regions: Iterable[str]) -> bool:
    """Regions are hierarchical (`us` contains `us-ma`); a brand with none is everywhere."""
    brand_regions = list(brand_regions)
    if not brand_regions:
        return True
    return any(_within(b, c) or _within(c, b) for b in brand_regions for c in crisis_regions)


def _within(inner: str, outer: str) -> bool:
    inner, outer = inner.lower(), outer.lower()
    return inner == outer or inner.startswith(outer + "-")
