"""The judge: every active crisis, every rule, one post at a time.

A Judge is built for one set of active crises (one crisis epoch) and reused for every
post judged under it. Its matchers (one Aho-Corasick automaton per set of languages,
holding every crisis's keywords, the idioms of their categories and the tone phrases)
are built on first use, once per epoch, never per post.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from policies.lexicon import (
    BUILTIN_CUES,
    PHRASE_GROUPS,
    Found,
    Hit,
    Matcher,
    available_languages,
    combos_for,
    first_cue_names,
    group_by_label,
    keyword_patterns,
    lexicon_table,
    load_lexicon,
)
from policies.models import (
    PUBLISH,
    BrandFacts,
    Crisis,
    Decision,
    Ops,
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
#: makes a post promotion; a pointer to help keeps a condolence from being empty; a
#: notice is said to be one, its words are not listed)
_UNCITED = frozenset(
    {("phrase", "promotion"), ("phrase", "offer"), ("phrase", "help"), ("phrase", "operational")}
)
_NO_GROUPS: frozenset[tuple[str, str]] = frozenset()
_NO_COMBOS: Mapping[str, frozenset[str]] = {}
#: the phrase groups a reason quotes, read in every post (see `Judge.judge`)
_CITED_GROUPS = ("condolence", "donation")
Label = tuple[str, str]


def _default(_brand: str) -> Playbook:
    return default_playbook()


@dataclass(frozen=True, slots=True)
class _Reading:
    """What a set of hit labels tells the rules, worked out once per set (few sets
    occur): the groups it gives outright, and per phrase group the combos its cues could
    complete, in the lexicons' order, each with the built-in cues (a digit, a time of
    day) the text must also have. A group's list ends at its first combo that needs
    none."""

    groups: frozenset[Label]
    choices: tuple[tuple[str, tuple[tuple[frozenset[str], frozenset[str]], ...]], ...]
    #: the combo met for each group when no choice depends on the text (else None)
    combos: dict[str, frozenset[str]] | None


@dataclass(slots=True)
class _Plan:
    """What depends only on a post's brand, channel and language, worked out once per
    Judge: the crises in scope, the playbook, the matchers and what the rules need."""

    crises: tuple[Crisis, ...]
    playbook: Playbook
    langs: tuple[str, ...]
    #: the automaton with every pattern, and a smaller one: the words that stop a post
    #: and the first cue of each combo that could
    full: Matcher
    lean: Matcher
    #: whether selling alone can stop a post (operations not normal, or the brand close
    #: to an event at a severity where that counts): what the post sells then matters
    selling: bool
    #: tags that say a post sells, whatever its words
    sale_tags: frozenset[str]
    #: cues of `lean` that mean the post must be read with `full`
    triggers: frozenset[str]
    layers: frozenset[str]
    #: tags that let a rule fire on a post with no matched words
    telling: frozenset[str]
    closed: bool
    #: the crises (by id) whose event the brand's sectors are close to
    close_to: frozenset[int]
    #: posts not in English, read with English patterns too (brands borrow its idioms)
    borrows: bool
    #: the post's language tells words apart by their accents (Czech, Azerbaijani)
    accents: bool
    #: the post's own language, when it has a lexicon
    own_lang: str
    readings: dict[frozenset[Label], _Reading] = field(default_factory=dict)


class Judge:
    """Decides what the crisis policy does with posts, under one set of active crises.

    Build one for the crises active at a moment (one crisis epoch) and call `judge(post)`
    for every post; each call returns a `Decision`. What depends only on the brand,
    channel and language (scope, playbook, matchers) and the decision for a post in which
    no words matched are worked out once and shared, so judging a whole queue is cheap;
    when the crises change, build a new Judge. Pure: no I/O, no clock, no database.
    `playbook_for(brand_id)` gives a brand's playbook (default: the shipped one).

    Example:

        >>> from policies.models import BrandFacts, Crisis, PostFacts, Severity
        >>> judge = Judge([Crisis(id=1, name="Boston Marathon bombing", category="bombing",
        ...                       severity=Severity.SEVERE, keywords=("marathon",),
        ...                       regions=("us-ma",))])
        >>> stride = BrandFacts(id="stride", sectors=frozenset({"athletic-apparel"}),
        ...                     regions=("us-ma",), languages=("en",))
        >>> decision = judge.judge(PostFacts(text="Our marathon sale is da bomb!",
        ...                                  brand=stride, channel="stride-outbox",
        ...                                  lang="en"))
        >>> decision.action, [reason.rule for reason in decision.reasons]
        (<Action.BLOCK: 'block'>, ['newsjacking', 'sensitive-words'])
        >>> judge.judge(PostFacts(text="Fresh socks in store.", brand=stride,
        ...                       channel="stride-outbox", lang="en")).action
        <Action.PUBLISH: 'publish'>
    """

    def __init__(self, crises: Sequence[Crisis], playbook_for: PlaybookFor = _default) -> None:
        self.crises = tuple(crises)
        self._playbook_for = playbook_for
        self._languages = frozenset(available_languages())
        self._plans: dict[tuple[str, str, str | None], _Plan | None] = {}
        self._matchers: dict[tuple[tuple[str, ...], frozenset[str], tuple[str, ...]], Matcher] = {}
        self._playbooks: dict[str, Playbook] = {}
        self._rule_lists: dict[tuple[int, Severity], list[Rule]] = {}
        self._combos: dict[tuple[str, ...], dict[str, list[frozenset[str]]]] = {}
        self._wordless: dict[tuple[object, ...], Decision] = {}
        self._reaching: dict[tuple[str, str, str | None], tuple[Crisis, ...]] = {}

    def judge(self, post: PostFacts) -> Decision:
        """The decision for one post under every active crisis that has it in scope."""
        key = (post.brand.id, post.channel, post.lang)
        plan = self._plans.get(key, _UNPLANNED)
        if plan is _UNPLANNED:
            plan = self._plans[key] = self._plan(post.brand, post.channel, post.lang)
        if plan is None:
            return PUBLISH
        norm = post.norm if post.norm is not None else normalise(post.text, post.lang)
        # A post is read first with the lean automaton unless what it sells could stop it
        # and no tag already says that it sells (then it is read in full at once).
        lean = not plan.selling or bool(post.tags & plan.sale_tags)
        matcher = plan.lean if lean else plan.full
        hits = self._read(matcher, post, plan, norm)
        if (
            hits
            and lean
            and (
                not self._groups(plan, hits, norm)[0] <= _UNCITED
                or any(
                    h.pattern.label[0] == "cue" and h.pattern.label[1] in plan.triggers
                    for h in hits
                )
            )
        ):
            # Words that stop posts, or the first word of a combo that might: whether the
            # post is also a notice (which may name the event) now matters, so read it
            # again with everything. Most posts find nothing and are read once.
            matcher = plan.full
            hits = self._read(matcher, post, plan, norm)
        groups = _NO_GROUPS
        combos: Mapping[str, frozenset[str]] = _NO_COMBOS
        if hits:
            groups, combos = self._groups(plan, hits, norm)
            if not groups <= _UNCITED:
                return combine(self._reasons(post, plan, matcher, hits, norm, groups, combos))
        # No event words and no phrase a reason would quote: the decision depends only on
        # the brand, the tags, automation and the prepared alternative, so it is shared.
        telling = post.tags & plan.telling
        if not telling and not post.automated and not groups and not plan.closed:
            return PUBLISH  # no rule can fire without words, automation or telling tags
        key = (post.brand.id, id(plan), telling, post.automated, groups, post.crisis_text)
        decision = self._wordless.get(key)
        if decision is None:
            decision = self._wordless[key] = combine(
                self._reasons(post, plan, matcher, hits, norm, groups, combos)
            )
        return decision

    @staticmethod
    def _read(matcher: Matcher, post: PostFacts, plan: _Plan, norm: str) -> list[Hit]:
        hits = matcher.hits(norm, post.text)
        if not hits:
            return hits
        if plan.borrows and any(h.pattern.lang == LINGUA_FRANCA for h in hits):
            # English idioms count in any language, but spelled as in English
            hits = matcher.spelled(post.text, LINGUA_FRANCA, hits)
        if plan.accents:
            hits = matcher.accented(post.text, plan.own_lang, hits)
        return hits

    def reaching(self, brand: BrandFacts, channel: str, lang: str | None) -> tuple[Crisis, ...]:
        """The crises that have posts of this brand, channel and language in scope
        (asked for every post of a toggle: worked out once per brand, channel, language)."""
        key = (brand.id, channel, lang)
        crises = self._reaching.get(key)
        if crises is None:
            probe = PostFacts(text="", brand=brand, channel=channel, lang=lang)
            crises = self._reaching[key] = tuple(c for c in self.crises if in_scope(probe, c))
        return crises

    def may_reach(self, brand: BrandFacts) -> bool:
        """Whether any crisis can have a post of this brand in scope."""
        return any(brand_in_scope(brand, crisis) for crisis in self.crises)

    # -- what is worked out once ------------------------------------------------------------
    def _plan(self, brand: BrandFacts, channel: str, lang: str | None) -> _Plan | None:
        crises = self.reaching(brand, channel, lang)
        if not crises:
            return None
        playbook = self._playbook(brand.id)
        langs = self._lexicon_langs(lang)
        own = (lang or "").split("-")[0]
        layers = frozenset().union(*(playbook.layers_of(c.category) for c in self.crises))
        close_to = frozenset(
            c.id
            for c in crises
            if any(
                playbook.sector_is_close(
                    s, c.category, playbook.contexts_of(c.category, c.contexts)
                )
                for s in brand.sectors
            )
        )
        # Whether a post with no word that stops posts could still be stopped for what it
        # sells: operations are not normal, or the brand is close to an event at a
        # severity where that counts (rules 1 and 3).
        selling = any(
            c.ops is not Ops.NORMAL
            or (c.id in close_to and playbook.applies("sector-proximity", c.severity))
            for c in crises
        )
        return _Plan(
            crises=crises,
            playbook=playbook,
            langs=langs,
            full=self._matcher(langs, layers, PHRASE_GROUPS),
            lean=self._matcher(langs, layers, _CITED_GROUPS),
            selling=selling,
            sale_tags=playbook.tags.promotion,
            triggers=first_cue_names(langs, _CITED_GROUPS),
            layers=frozenset().union(*(playbook.layers_of(c.category) for c in crises)),
            telling=(
                playbook.tags.promotion | playbook.tags.automated_sequence | playbook.tags.service
            ),
            closed=any(c.ops is Ops.CLOSED for c in crises),
            close_to=close_to,
            borrows=own != LINGUA_FRANCA,
            own_lang=own,
            accents=own in langs and load_lexicon(own).morphology.accents,
        )

    def _groups(
        self, plan: _Plan, hits: list[Hit], norm: str
    ) -> tuple[frozenset[Label], Mapping[str, frozenset[str]]]:
        """What the hits tell the rules: keywords, the idioms and event words of layers
        these crises make sensitive, and phrase groups (a combo's cues all present);
        with, for each group a combo gave, the combo."""
        labels = frozenset([h.pattern.label for h in hits])
        reading = plan.readings.get(labels)
        if reading is None:
            reading = plan.readings[labels] = self._classify(plan, labels)
        if reading.combos is not None:
            return reading.groups, reading.combos
        found: dict[str, bool] = {}

        def has(cue: str) -> bool:
            known = found.get(cue)
            if known is None:
                known = found[cue] = BUILTIN_CUES[cue].search(norm) is not None
            return known

        combos = {}
        for group, choices in reading.choices:
            for combo, needed in choices:
                if all(has(c) for c in needed):
                    combos[group] = combo
                    break
        return reading.groups.union([("phrase", g) for g in combos]), combos

    def _classify(self, plan: _Plan, labels: frozenset[Label]) -> _Reading:
        """The reading of a set of hit labels (see `_Reading`)."""
        groups: set[Label] = set()
        cues: set[str] = set()
        for kind, name in labels:
            if kind == "cue":
                cues.add(name)
            elif kind not in ("idiom", "event") or name in plan.layers:
                groups.add((kind, name))
        choices = []
        for group, combos in self._combo_table(plan.langs).items():
            possible = []
            for combo in combos:
                needed = combo - cues
                if needed <= BUILTIN_CUES.keys():
                    possible.append((combo, needed))
                    if not needed:
                        groups.add(("phrase", group))
                        break
            if possible:
                choices.append((group, tuple(possible)))
        fixed = all(not needed for _, possible in choices for _, needed in possible)
        return _Reading(
            frozenset(groups),
            tuple(choices),
            {g: possible[0][0] for g, possible in choices} if fixed else None,
        )

    def _reasons(
        self,
        post: PostFacts,
        plan: _Plan,
        matcher: Matcher,
        hits: list[Hit],
        norm: str,
        groups: frozenset[Label],
        combos: Mapping[str, frozenset[str]],
    ) -> list[Reason]:
        grouped = group_by_label(hits)
        combo_hits = _combo_hits(grouped, combos)
        phrases = {
            g: (*grouped.get(("phrase", g), ()), *combo_hits.get(g, ()))
            if ("phrase", g) in groups
            else ()
            for g in PHRASE_GROUPS
        }

        def locate(wanted: Sequence[Hit]) -> tuple[Found, ...]:
            # only the hits a reason quotes are placed in the text: most hits are cues
            # and phrases that no reason shows
            if not wanted:
                return ()
            keys = {(h.pattern.label, h.pattern.text) for h in wanted}
            chosen = [h for h in hits if (h.pattern.label, h.pattern.text) in keys]
            return _outermost(
                [
                    f
                    for f in matcher.locate(post.text, post.lang, chosen, norm)
                    if (f.label, f.pattern) in keys
                ]
            )

        playbook = plan.playbook
        reasons: list[Reason] = []
        for crisis in plan.crises:
            layers = playbook.layers_of(crisis.category)
            ctx = Context(
                post=post,
                crisis=crisis,
                playbook=playbook,
                keywords=grouped.get(("keyword", str(crisis.id)), ()),
                idioms=[h for layer in layers for h in grouped.get(("idiom", layer), ())],
                literal=[h for layer in layers for h in grouped.get(("event", layer), ())],
                phrases=phrases,
                close=crisis.id in plan.close_to,
                locate=locate,
            )
            reasons += [r for rule in self._rules(playbook, crisis) if (r := rule(ctx)) is not None]
        return reasons

    def _combo_table(self, langs: tuple[str, ...]) -> dict[str, list[frozenset[str]]]:
        table = self._combos.get(langs)
        if table is None:
            table = self._combos[langs] = combos_for(langs)
        return table

    def _playbook(self, brand_id: str) -> Playbook:
        playbook = self._playbooks.get(brand_id)
        if playbook is None:
            playbook = self._playbooks[brand_id] = self._playbook_for(brand_id)
        return playbook

    def _rules(self, playbook: Playbook, crisis: Crisis) -> list[Rule]:
        """The rules this playbook applies at this crisis's severity (worked out once)."""
        key = (id(playbook), crisis.severity)
        rules = self._rule_lists.get(key)
        if rules is None:
            rules = self._rule_lists[key] = [
                rule
                for rule_id, rule in RULES.items()
                if playbook.applies(rule_id, crisis.severity)
            ]
        return rules

    def _lexicon_langs(self, lang: str | None) -> tuple[str, ...]:
        base = (lang or "").split("-")[0]
        if base in self._languages:
            return tuple(sorted({base, LINGUA_FRANCA}))
        return tuple(sorted(self._languages))  # unknown language: every lexicon

    def _matcher(
        self, langs: tuple[str, ...], layers: frozenset[str], groups: tuple[str, ...]
    ) -> Matcher:
        """The automaton for posts in these languages: the layers the crises make
        sensitive (under the brand's playbook), every crisis's keywords, the phrase
        `groups` with their combos' cues (of condolence and donation only the first cue
        unless every group is read)."""
        key = (langs, layers, groups)
        matcher = self._matchers.get(key)
        if matcher is None:
            first = () if groups == PHRASE_GROUPS else _CITED_GROUPS
            tables = [lexicon_table(lang, tuple(sorted(layers)), groups, first) for lang in langs]
            patterns = [
                p
                for crisis in self.crises
                for p in keyword_patterns(crisis.keywords, str(crisis.id), langs)
            ]
            matcher = self._matchers[key] = Matcher(patterns, langs, tables=tables)
        return matcher


_UNPLANNED = object()


def _combo_hits(
    grouped: Mapping[Label, list[Hit]], combos: Mapping[str, frozenset[str]]
) -> dict[str, list[Hit]]:
    """For each phrase group a combo gave the post, the cue words that met it."""
    if not combos:
        return {}
    cues = {name: found for (kind, name), found in grouped.items() if kind == "cue"}
    return {
        group: [h for c in sorted(combo & cues.keys()) for h in cues[c]]
        for group, combo in combos.items()
    }


def met_combos(
    table: Mapping[str, list[frozenset[str]]], cues: set[str], builtin: frozenset[str]
) -> dict[str, frozenset[str]]:
    """The phrase groups whose combos these cues (and the built-in cues found in the
    text) complete, each with the first combo that did."""
    met = {}
    for group, combos in table.items():
        for combo in combos:
            if combo <= cues or combo - cues <= builtin:
                met[group] = combo
                break
    return met


def builtin_cues(norm: str) -> frozenset[str]:
    """The built-in cues a normalised text has (a digit, a time of day)."""
    return frozenset(name for name, pattern in BUILTIN_CUES.items() if pattern.search(norm))


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
