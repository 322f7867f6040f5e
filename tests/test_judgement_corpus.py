"""The labelled corpus in evals/: frozen, broad enough, and the policy agrees with it."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from policies.lexicon import CATEGORIES
from scheduler.evaluation import PUBLISH_RULES, STOP_RULES, Report, evaluate

pytestmark = pytest.mark.unit

EVALS = Path(__file__).resolve().parents[1] / "evals"
LANGS = ("en", "id", "ar", "az", "cs", "ru")
MIN_STOP_RECALL = 0.98
MIN_AGREEMENT = 0.95


@cache
def report() -> Report:
    return evaluate(EVALS)


def test_every_case_file_is_as_it_was_frozen():
    frozen = {}
    for line in (EVALS / "FROZEN").read_text(encoding="utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        frozen[name] = digest
    present = {
        str(p.relative_to(EVALS)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(EVALS.rglob("*.yaml"))
    }
    assert present == frozen, "a case file changed: retire cases in evals/retired.txt instead"


def test_the_corpus_covers_every_language_category_and_rule():
    cases = [o.case for o in report().outcomes]
    assert len(cases) >= 600
    by_lang = Counter(c.lang.split("-")[0] for c in cases if c.lang)
    assert all(by_lang[lang] >= 60 for lang in LANGS), by_lang
    assert {c.category for c in cases} == set(CATEGORIES)
    rules = Counter((c.expect, c.rule) for c in cases)
    assert all(rules["stop", r] >= 10 for r in STOP_RULES), rules
    assert all(rules["publish", r] >= 10 for r in PUBLISH_RULES), rules
    assert all(c.why for c in cases)


def test_retired_cases_each_give_a_reason():
    assert all(why for why in report().retired.values())


def test_the_policy_agrees_with_the_corpus():
    overall = report().overall
    wrong = "\n".join(
        f"{o.case.id}: expected {o.case.expect}, got {o.decision.action.value}: {o.case.text}"
        for o in report().disagreements()
    )
    assert overall.stop_recall >= MIN_STOP_RECALL, wrong
    assert overall.agreement >= MIN_AGREEMENT, wrong
    assert overall.false_blocks == 0, wrong


def test_a_case_the_policy_gets_wrong_is_counted_as_a_disagreement(tmp_path):
    # the figures above could not fail if a wrong case were not counted: check they can
    case_file = tmp_path / "x.yaml"
    case_file.write_text(
        """
language: en
category: flood
brands:
  - {id: b, sectors: [bakery], regions: [cz], languages: [en]}
scenarios:
  - crisis: {name: Flood, keywords: [Vltava], regions: [cz]}
    cases:
      - {id: t1, brand: b, text: "Fresh bread at seven", expect: stop, rule: ordinary,
         why: mislabelled on purpose}
""",
        encoding="utf-8",
    )
    with pytest.raises(Exception, match="expect must be stop or publish"):
        evaluate(case_file)
    case_file.write_text(case_file.read_text().replace("rule: ordinary", "rule: sensitive-words"))
    result = evaluate(case_file)
    assert result.overall.leaks == 1 and result.overall.agreement == 0.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('brands: "oops"\nscenarios: []\n', "brands: must be a list of mappings"),
        ('brands: []\nscenarios: ["x"]\n', "scenarios[0]: needs `crisis:`"),
        (
            "brands: []\nscenarios:\n  - crisis: {category: flood, keywords: Boston}\n",
            "crisis.keywords: must be a list",
        ),
        ("brands: [\n", "not valid YAML"),
    ],
)
def test_a_malformed_case_file_is_one_line_naming_the_problem(tmp_path, content, message):
    from scheduler.evaluation import CorpusError

    path = tmp_path / "x.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError, match=re.escape(message)) as caught:
        evaluate(path)
    assert "\n" not in str(caught.value)
