"""Show what the lexicons find in a text: `python bench/lexicon_hits.py LANG CATEGORY TEXT`.

A tool for people writing lexicons: each hit with its label (idiom/event word of a layer,
phrase group, cue) and pattern, and the phrase groups the cues' combos complete.
"""

from __future__ import annotations

import sys

from policies.engine import builtin_cues, met_combos
from policies.lexicon import Matcher, combos_for, keyword_patterns, lexicon_patterns
from policies.normalise import normalise
from policies.playbook import default_playbook


def main(lang: str, category: str, text: str, *keywords: str) -> None:
    langs = sorted({lang, "en"})
    layers = default_playbook().layers_of(category)
    patterns = lexicon_patterns(langs, layers=layers)
    patterns += keyword_patterns(keywords, "1", langs)
    matcher = Matcher(patterns, langs)
    norm = normalise(text, lang)
    hits = matcher.hits(norm)
    for found in matcher.locate(text, lang, hits, norm):
        print(f"{':'.join(found.label):28} {found.text!r:30} pattern {found.pattern!r}")
    cues = {h.pattern.label[1] for h in hits if h.pattern.label[0] == "cue"}
    met = met_combos(combos_for(langs), cues, builtin_cues(norm))
    if met:
        print("combos met:", ", ".join(f"{g} {sorted(c)}" for g, c in met.items()))
    if not hits:
        print("nothing found")


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
