"""Proposed texts: the brand's prepared alternative, a drafted notice, and a readable diff."""

from __future__ import annotations

import difflib

from policies.models import Ops, PostFacts
from policies.playbook import Playbook


def alternative_for(post: PostFacts) -> str | None:
    """The post's own crisis text, else the brand's alternative in the post's language
    (else in the brand's first language that has one)."""
    if post.crisis_text:
        return post.crisis_text
    alternatives = post.brand.alternatives
    for lang in (post.lang, *post.brand.languages, "en"):
        if lang and alternatives.get(lang):
            return alternatives[lang]
    return next(iter(alternatives.values()), None)


def draft_notice(playbook: Playbook, ops: Ops, langs: tuple[str, ...], event: str) -> str | None:
    """Rule 1's public notice of an operating change, in the first language it exists in."""
    texts = playbook.notices.get(ops, {})
    for lang in (*langs, "en"):
        if lang in texts:
            return texts[lang].format(event=event)
    return None


def text_diff(old: str, new: str) -> str:
    """A word-level diff a marketer can read: [-removed-] {+added+}."""
    out: list[str] = []
    old_words, new_words = old.split(), new.split()
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            out.extend(old_words[a1:a2])
            continue
        if a2 > a1:
            out.append("[-" + " ".join(old_words[a1:a2]) + "-]")
        if b2 > b1:
            out.append("{+" + " ".join(new_words[b1:b2]) + "+}")
    return " ".join(out)
