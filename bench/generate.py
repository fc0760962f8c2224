"""Synthetic knowledge bases in our DSL, shaped like the shipped one, for the benchmark.

The model part (header, regions, domains, bands, gate policy, reachability, facts) and the
instrument are copied from the bundled knowledge base; the generator adds an intervention catalog
and rules. Rules have 2–3 conditions over band, score, history, relational-health and caregiver
facts; about 10 % are chained (they use a fact that another rule derives), a quarter of those
through `not` (so the knowledge base has a second stratum, as the shipped one does). Mostly
`recommend`, with some `avoid`, `defer` and `flag`. Deterministic for a given seed.

Only constructs every version of the grammar so far accepts are used, so the benchmark keeps
measuring the same thing while the language grows.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import knowledge_base

MODEL_FILE = "00-model.gw"
INSTRUMENT_FILE = "instrument.toml"
RULES_PER_FILE = 200

REGIONS = ("brainstem", "diencephalon", "limbic", "cortex")
DOMAINS = ("sensory_integration", "self_regulation", "relational", "cognitive")
MODALITY_OF = {"brainstem": "rhythmic", "diencephalon": "motor", "limbic": "relational",
               "cortex": "cognitive"}
PERIODS = ("perinatal", "infancy", "early_childhood", "childhood", "adolescence")
SENSITIVITIES = ("touch_aversion", "noise_sensitivity", "motion_sensitivity", "water_fear")


@dataclass(frozen=True)
class Shape:
    """How big a generated knowledge base is."""

    rules: int
    interventions: int
    seed: int = 7
    chained_fraction: float = 0.10

    @property
    def facts(self) -> int:
        return max(1, round(self.rules * self.chained_fraction / 2))


SMALL = Shape(rules=200, interventions=60)
LARGE = Shape(rules=2000, interventions=300)


def write_knowledge_base(target: Path, shape: Shape, salt: str = "") -> Path:
    """Write a generated knowledge base directory; `salt` changes its content hash only."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(knowledge_base.BUNDLED / INSTRUMENT_FILE, target / INSTRUMENT_FILE)
    for name, text in generate_files(shape, salt).items():
        (target / name).write_text(text, encoding="utf-8")
    return target


def generate_files(shape: Shape, salt: str = "") -> dict[str, str]:
    """File name → text of every `.gw` file of the generated knowledge base."""
    rng = random.Random(shape.seed)
    model = (knowledge_base.BUNDLED / MODEL_FILE).read_text(encoding="utf-8")
    facts = [f"gen_fact_{i:03d}" for i in range(shape.facts)]
    files = {MODEL_FILE: model + (f"\n# generated {salt}\n" if salt else "")}
    files["05-generated-facts.gw"] = "".join(
        f'fact {name} "Generated fact {i} for the benchmark"\n' for i, name in enumerate(facts))
    ivs = [_intervention(i, rng) for i in range(shape.interventions)]
    files["06-generated-catalog.gw"] = "\n".join(iv.text for iv in ivs)
    rules = _rules(shape, facts, ivs, rng)
    for start in range(0, len(rules), RULES_PER_FILE):
        files[f"50-generated-{start // RULES_PER_FILE:02d}.gw"] = "\n".join(
            rules[start:start + RULES_PER_FILE])
    return files


@dataclass(frozen=True)
class _Iv:
    id: str
    region: str
    text: str


def _intervention(index: int, rng: random.Random) -> _Iv:
    region = REGIONS[index % len(REGIONS)]
    iv_id = f"gen-iv-{index:03d}"
    lines = [f"intervention {iv_id} {{",
             f'  name "Generated activity {index}"',
             f"  region {region}",
             f"  modality {MODALITY_OF[region]}",
             f"  dose {rng.choice((1, 2, 3))} per {rng.choice(('day', 'week'))}, "
             f"{rng.choice((10, 15, 20, 30, 45))} minutes, by caregiver or teacher or therapist",
             "  settings " + ", ".join(rng.choice((("home", "school", "clinic"),
                                                   ("home", "clinic"), ("school", "residential",
                                                                        "clinic")))),
             '  source "Synthetic benchmark catalog (not clinical content)"']
    if index >= len(REGIONS) and rng.random() < 0.1:
        # an earlier entry targeting the same region: never a cycle, never a higher region
        lines.append(f"  requires gen-iv-{index - len(REGIONS) * rng.randint(1, index // len(REGIONS)):03d}")
    if rng.random() < 0.08:
        lines.append(f"  contraindicated {rng.choice(SENSITIVITIES)}")
    if rng.random() < 0.15:
        lines.append(f"  min_developmental_age {rng.choice((12, 24, 48))} months")
    lines.append("}\n")
    return _Iv(iv_id, region, "\n".join(lines))


def _rules(shape: Shape, facts: list[str], ivs: list[_Iv], rng: random.Random) -> list[str]:
    """Rule texts: each fact derived by one rule and used by two later ones."""
    derives: dict[int, str] = {}
    uses: dict[int, tuple[str, bool]] = {}
    slots = list(range(shape.rules))
    rng.shuffle(slots)
    for n, fact in enumerate(facts):
        deriver, *users = slots[3 * n:3 * n + 3]
        derives[deriver] = fact
        for k, user in enumerate(users):
            uses[user] = (fact, (n + k) % 4 == 3)  # about a quarter of the uses negate
    return [_rule(i, rng, ivs, derives.get(i), uses.get(i)) for i in range(shape.rules)]


def _rule(index: int, rng: random.Random, ivs: list[_Iv], derive: str | None,
          use: tuple[str, bool] | None) -> str:
    conditions = [_literal(rng) for _ in range(rng.choice((2, 2, 3)) - (1 if use else 0))]
    if use:
        fact, negated = use
        conditions.insert(0, f"not {fact}" if negated else fact)
    actions = _actions(rng, ivs)
    if derive:
        actions.append(f"derive {derive}")
    return "\n".join([
        f"rule gen-rule-{index:04d} {{",
        '  version "1.0.0"',
        f'  title "Generated rule {index}"',
        "  status approved",
        "  evidence practice",
        '  source "Synthetic benchmark rule (not clinical content)"',
        '  author "bench generator"',
        '  rationale "Exercises the engine at scale; it carries no clinical meaning."',
        "  when " + " and ".join(conditions),
        "  then",
        *(f"    {a}" for a in actions),
        "}\n"])


def _actions(rng: random.Random, ivs: list[_Iv]) -> list[str]:
    iv = rng.choice(ivs).id
    roll = rng.random()
    if roll < 0.05:
        return [f'avoid {iv} because "Synthetic reason to avoid it"']
    if roll < 0.10:
        return [f"recommend {iv}", f"defer {iv} until limbic.band <= mild"]
    if roll < 0.15:
        return [f"recommend {iv}",
                f'flag warning GEN_FLAG_{rng.randrange(20):02d} "Synthetic flag for review"']
    if roll < 0.30:
        return [f"recommend {iv} priority {rng.randint(1, 4)}"]
    return [f"recommend {iv}"]


def _literal(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.40:
        name = rng.choice(REGIONS + DOMAINS)
        return rng.choice((f"{name}.band >= {rng.choice(('mild', 'moderate', 'severe'))}",
                           f"{name}.band <= mild", f"{name}.band in {{moderate, severe}}",
                           f"{name}.band = insufficient"))
    if kind < 0.55:
        name = rng.choice(REGIONS)
        low = rng.choice((0.5, 1, 1.5))
        return rng.choice((f"{name}.score between {low:g} and {low + 1.25:g}",
                           f"{name}.score > {low:g}"))
    if kind < 0.75:
        period = rng.choice(PERIODS)
        return rng.choice((f"history.{period}.adversity >= moderate",
                           f"history.{period}.relational_poverty in {{moderate, severe}}",
                           "history.worst_adversity = severe"))
    if kind < 0.90:
        part = rng.choice(("family", "community", "cultural", "lowest"))
        return f"relational_health.{part} <= {rng.choice(('poor', 'limited'))}"
    return rng.choice(("caregivers.count >= 1", "caregivers.dysregulated > 0",
                       "caregivers.roles has teacher", "(caregivers.count = 0 or "
                       "relational_health.family = poor)"))
