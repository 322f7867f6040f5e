"""The judgement corpus (`evals/`): labelled posts × crises, and how well the policy agrees.

Each case goes through the same path as the command line: the file's brands become a
config (sectors resolved through the taxonomy, a bad one refused as `config check`
would), the crisis is checked as `crisis on` checks it (contexts resolved), the post's
tags as `post add` checks them, and the Judge decides. A case agrees when the policy stops
a post labelled `stop` (pause, hold, rewrite or block) or publishes one labelled `publish`.
Only `newsjacking` cases may be blocked; any other block is a false block.

Cases are split by a hash of their id into `dev` (the two thirds people look at while
improving the policy) and `test` (the third nobody tunes against), so the figures can
show whether a change generalises.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import yaml

from policies.engine import Judge
from policies.models import Action, Decision, PostFacts
from scheduler.config import Config, parse_config
from scheduler.crisis_spec import check_spec
from scheduler.drafting import check_tags
from scheduler.errors import BadInput, ConfigError
from scheduler.judging import Judging, summary, to_policy
from scheduler.models import CrisisRecord, CrisisSpec

Expect = Literal["stop", "publish"]
STOP_RULES = (
    "follow-the-business",
    "sensitive-words",
    "sector-proximity",
    "newsjacking",
    "donation-boast",
    "empty-condolence",
    "slow-automation",
)
PUBLISH_RULES = ("operational-notice", "out-of-scope", "ordinary", "near-miss")
_CRISIS_KEYS = {
    "name",
    "category",
    "severity",
    "ops",
    "keywords",
    "contexts",
    "regions",
    "brands",
    "langs",
    "channels",
}
_CRISIS_LISTS = {"keywords", "contexts", "regions", "brands", "langs", "channels"}
_CASE_KEYS = {
    "id",
    "brand",
    "text",
    "tags",
    "lang",
    "automated",
    "crisis_text",
    "expect",
    "rule",
    "why",
}
_NOW = datetime(2026, 1, 1, tzinfo=UTC)


class CorpusError(BadInput):
    """A corpus file that cannot be read as cases; the message names file and case."""


@dataclass(frozen=True, kw_only=True)
class Case:
    id: str
    file: str
    lang: str | None
    category: str
    expect: Expect
    rule: str
    why: str
    text: str
    post: PostFacts = field(repr=False)
    judge: Judge = field(repr=False)

    @property
    def split(self) -> str:
        digest = hashlib.sha256(self.id.encode()).digest()
        return "test" if digest[0] % 3 == 0 else "dev"


@dataclass(frozen=True, kw_only=True)
class Outcome:
    case: Case
    decision: Decision

    @property
    def stopped(self) -> bool:
        return self.decision.stops

    @property
    def agrees(self) -> bool:
        return self.stopped == (self.case.expect == "stop")

    @property
    def false_block(self) -> bool:
        return self.decision.action is Action.BLOCK and self.case.rule != "newsjacking"

    def to_json(self) -> dict[str, Any]:
        case = self.case
        return {
            "id": case.id,
            "file": case.file,
            "lang": case.lang,
            "category": case.category,
            "split": case.split,
            "expect": case.expect,
            "rule": case.rule,
            "why": case.why,
            "text": case.text,
            "action": self.decision.action.value,
            "policy": summary(self.decision) if self.stopped else "publish",
            "agrees": self.agrees,
            "false_block": self.false_block,
        }


@dataclass
class Tally:
    """Agreement figures for one slice of the corpus."""

    cases: int = 0
    agree: int = 0
    stops: int = 0
    stopped: int = 0
    published: int = 0
    rightly_published: int = 0
    false_blocks: int = 0

    def add(self, outcome: Outcome) -> None:
        self.cases += 1
        self.agree += outcome.agrees
        if outcome.case.expect == "stop":
            self.stops += 1
            self.stopped += outcome.stopped
        if not outcome.stopped:
            self.published += 1
            self.rightly_published += outcome.case.expect == "publish"
        self.false_blocks += outcome.false_block

    @property
    def agreement(self) -> float:
        return self.agree / self.cases if self.cases else 1.0

    @property
    def stop_recall(self) -> float:
        return self.stopped / self.stops if self.stops else 1.0

    @property
    def publish_precision(self) -> float:
        return self.rightly_published / self.published if self.published else 1.0

    @property
    def leaks(self) -> int:
        return self.stops - self.stopped

    def to_json(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "agreement": round(self.agreement, 4),
            "stop_recall": round(self.stop_recall, 4),
            "publish_precision": round(self.publish_precision, 4),
            "leaks": self.leaks,
            "false_blocks": self.false_blocks,
        }


@dataclass
class Report:
    outcomes: list[Outcome]
    retired: dict[str, str]
    #: files that could not be read (with --keep-going), one line each
    errors: list[str] = field(default_factory=list)

    def tally(self, key=lambda o: "all") -> dict[str, Tally]:
        out: dict[str, Tally] = defaultdict(Tally)
        for outcome in self.outcomes:
            out[key(outcome)].add(outcome)
        return dict(sorted(out.items()))

    @property
    def overall(self) -> Tally:
        return self.tally()["all"] if self.outcomes else Tally()

    def disagreements(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.agrees or o.false_block]

    def to_json(self) -> dict[str, Any]:
        return {
            "overall": self.overall.to_json(),
            "by_split": _json(self.tally(lambda o: o.case.split)),
            "by_language": _json(self.tally(lambda o: o.case.lang or "-")),
            "by_rule": _json(self.tally(lambda o: o.case.rule)),
            "by_category": _json(self.tally(lambda o: o.case.category)),
            "disagreements": [o.to_json() for o in self.disagreements()],
            "retired": self.retired,
            "errors": self.errors,
        }


def _json(tallies: dict[str, Tally]) -> dict[str, Any]:
    return {k: v.to_json() for k, v in tallies.items()}


def evaluate(
    root: Path, *, split: str | None = None, langs: Iterable[str] = (), keep_going: bool = False
) -> Report:
    """Judge every case under `root` (a corpus directory, or one case file). A file that
    cannot be read stops it, or with `keep_going` is listed and left out."""
    retired = read_retired(root)
    wanted = set(langs)
    report = Report([], retired)
    seen: set[str] = set()
    for path in case_files(root):
        try:
            cases = list(_file_cases(path))
        except CorpusError as exc:
            if not keep_going:
                raise
            report.errors.append(str(exc))
            continue
        for case in cases:
            if case.id in seen:
                raise CorpusError(f"{path}: case id {case.id!r} is used twice")
            seen.add(case.id)
            if (
                case.id in retired
                or (split and case.split != split)
                or (wanted and case.lang not in wanted)
            ):
                continue
            report.outcomes.append(Outcome(case=case, decision=case.judge.judge(case.post)))
    return report


def case_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    base = root / "cases" if (root / "cases").is_dir() else root
    files = sorted(base.rglob("*.yaml"))
    if not files:
        raise CorpusError(f"{root}: no case files (*.yaml) here")
    return files


def read_retired(root: Path) -> dict[str, str]:
    """Case ids taken out of the corpus, each with the reason (`evals/retired.txt`)."""
    path = (root if root.is_dir() else root.parent) / "retired.txt"
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            case_id, _, why = line.partition(" ")
            out[case_id] = why.strip()
    return out


def _file_cases(path: Path) -> Iterator[Case]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise CorpusError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict) or not isinstance(data.get("scenarios"), list):
        raise CorpusError(f"{path}: needs `brands:` and `scenarios:`")
    config = _config(path, _listed(f"{path}: brands", data.get("brands") or []))
    judging = Judging(config)
    for number, scenario in enumerate(data["scenarios"]):
        where = f"{path}: scenarios[{number}]"
        if not isinstance(scenario, dict) or not isinstance(scenario.get("crisis"), dict):
            raise CorpusError(f"{where}: needs `crisis:` (a mapping) and `cases:`")
        crisis = _crisis(where, config, {"category": data.get("category"), **scenario["crisis"]})
        judge = Judge([to_policy(crisis)], config.playbook_for)
        for raw in _listed(f"{where}.cases", scenario.get("cases") or []):
            yield _case(
                path, where, raw, config, judging, judge, crisis.category, data.get("language")
            )


def _listed(where: str, items: Any) -> list[dict[str, Any]]:
    """A list of mappings, or a CorpusError saying where it is not one."""
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise CorpusError(f"{where}: must be a list of mappings")
    return items


def _config(path: Path, brands: list[dict[str, Any]]) -> Config:
    """The file's brands as a config.yaml would declare them, one outbox channel each."""
    declared = []
    for brand in brands:
        entry = {k: v for k, v in brand.items() if k != "alternative"}
        if brand.get("alternative"):
            entry["crisis_alternative"] = brand["alternative"]
        entry["channels"] = [{"id": f"{brand.get('id')}-main", "kind": "outbox"}]
        declared.append(entry)
    try:
        return parse_config(
            yaml.safe_dump({"brands": declared}, allow_unicode=True), source=f"{path} (brands)"
        )
    except ConfigError as exc:
        raise CorpusError(str(exc)) from None


def _crisis(where: str, config: Config, raw: dict[str, Any]) -> CrisisRecord:
    unknown = set(raw) - _CRISIS_KEYS
    if unknown:
        raise CorpusError(f"{where}.crisis: unknown key(s) {', '.join(sorted(unknown))}")
    for key in _CRISIS_LISTS & set(raw):
        if not isinstance(raw[key], list):
            raise CorpusError(f"{where}.crisis.{key}: must be a list, such as [{raw[key]}]")
    values = {k: tuple(str(x) for x in v) if isinstance(v, list) else v for k, v in raw.items()}
    values.setdefault("severity", "serious")
    values.setdefault("name", "crisis")
    try:
        spec = check_spec(config, CrisisSpec(**values))
    except (BadInput, TypeError) as exc:
        raise CorpusError(f"{where}.crisis: {exc}") from None
    return CrisisRecord.drill(spec, _NOW, "eval")


def _case(
    path: Path,
    where: str,
    raw: dict[str, Any],
    config: Config,
    judging: Judging,
    judge: Judge,
    category: str,
    language: str | None,
) -> Case:
    case_id = str(raw.get("id", "?"))
    place = f"{where}: case {case_id}"
    unknown = set(raw) - _CASE_KEYS
    if unknown:
        raise CorpusError(f"{place}: unknown key(s) {', '.join(sorted(unknown))}")
    expect, rule = raw.get("expect"), raw.get("rule")
    if expect not in ("stop", "publish") or rule not in (
        STOP_RULES if expect == "stop" else PUBLISH_RULES
    ):
        raise CorpusError(
            f"{place}: expect must be stop or publish, with a rule of that "
            f"kind (got {expect!r}, {rule!r})"
        )
    try:
        brand = config.brand(str(raw.get("brand")))
        tags = check_tags(
            [str(t) for t in raw.get("tags") or []], "tags", config.playbook_for(brand.id).tags
        )
    except BadInput as exc:
        raise CorpusError(f"{place}: {exc}") from None
    lang = raw.get("lang") or (brand.languages[0] if brand.languages else language)
    post = PostFacts(
        text=str(raw.get("text", "")),
        brand=judging.brand_facts(brand.id),
        channel=f"{brand.id}-main",
        tags=frozenset(tags),
        lang=lang,
        automated=bool(raw.get("automated")),
        crisis_text=raw.get("crisis_text"),
    )
    return Case(
        id=case_id,
        file=str(path),
        lang=lang,
        category=category,
        expect=expect,
        rule=rule,
        why=str(raw.get("why", "")),
        text=post.text,
        post=post,
        judge=judge,
    )


def counts(report: Report) -> Counter[str]:
    return Counter(o.decision.action.value for o in report.outcomes)
