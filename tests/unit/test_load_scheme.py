"""evalkit.load.scheme: weight scheme YAML -> Scheme, checked against the tree."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from evalkit.errors import Problems
from evalkit.load.scheme import load_scheme
from evalkit.load.tree import load_tree
from evalkit.scheme import AhpSettings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# base tree: idx -> gov (gov_online, gov_wait), transport (tr_signal, tr_delay), health (he_beds, he_online)


@pytest.fixture(scope="module")
def tree():
    problems = Problems()
    t = load_tree(FIXTURES / "base" / "tree.yaml", problems)
    assert not problems.items
    return t


def _load(tmp_path, tree, text):
    path = tmp_path / "scheme.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    problems = Problems()
    return load_scheme(path, tree, problems), problems


def _codes(problems):
    return [p.code for p in problems.errors]


def test_base_fixture_scheme(tree):
    problems = Problems()
    s = load_scheme(FIXTURES / "base" / "scheme.yaml", tree, problems)
    assert not problems.items
    assert s.default.method == "entropy"
    assert s.ahp == AhpSettings("eigenvector", 0.10, "cn_textbook")
    assert s.for_node("health").method == "entropy"  # not listed: the default


def test_equal_and_empty_scheme(tmp_path, tree):
    s, problems = _load(tmp_path, tree, "nodes:\n  gov: {method: equal}\n")
    assert not problems.items
    assert s.default.method == "equal"
    assert s.for_node("gov").method == "equal"


def test_fixed_weights_with_fractions(tmp_path, tree):
    s, problems = _load(tmp_path, tree, 'nodes:\n  gov: {method: fixed, weights: {gov_online: "1/3", gov_wait: "2/3"}}\n')
    assert not problems.items
    w = s.for_node("gov").weights
    assert w["gov_online"] == pytest.approx(1 / 3, abs=1e-15) and w["gov_wait"] == pytest.approx(2 / 3, abs=1e-15)


@pytest.mark.parametrize("weights, code", [
    ("{gov_online: 0.5, gov_wait: 0.4999}", "fixed-sum"),
    ("{gov_online: 1.0}", "fixed-missing-child"),
    ("{gov_online: 1.2, gov_wait: -0.2}", "negative-weight"),
    ("{gov_online: x, gov_wait: 1}", "not-a-number"),
    ("{gov_online: 0.5, gov_wait: 0.5, tr_signal: 0}", "unknown-child"),
])
def test_fixed_weight_problems(tmp_path, tree, weights, code):
    s, problems = _load(tmp_path, tree, f"nodes:\n  gov: {{method: fixed, weights: {weights}}}\n")
    assert code in _codes(problems)
    assert all(p.pos.line == 2 for p in problems.errors)


def test_fixed_weights_within_tolerance_pass(tmp_path, tree):
    _, problems = _load(tmp_path, tree, "nodes:\n  gov: {method: fixed, weights: {gov_online: 0.5, gov_wait: 0.5000005}}\n")
    assert not problems.items


def test_entropy_shift_critic_cv(tmp_path, tree):
    s, problems = _load(tmp_path, tree, """\
        default: {method: critic}
        nodes:
          gov: {method: entropy, shift: 1e-4}
          transport: {method: cv}
          health: {method: entropy}
        """)
    assert not problems.items
    assert s.default.method == "critic"
    assert s.for_node("gov").shift == 1e-4
    assert s.for_node("health").shift == 0.0
    assert s.for_node("transport").method == "cv"


def test_ahp_judgments_with_fraction_strings(tmp_path, tree):
    s, problems = _load(tmp_path, tree, """\
        ahp: {method: geometric, max_cr: 0.2, ri: saaty1980}
        nodes:
          idx:
            method: ahp
            judgments:
              - [gov, transport, 2]
              - [gov, health, "1/3"]
              - [transport, health, 1/5]
        """)
    assert not problems.items
    w = s.for_node("idx")
    assert [(j.a, j.b) for j in w.judgments] == [("gov", "transport"), ("gov", "health"), ("transport", "health")]
    assert [j.value for j in w.judgments] == pytest.approx([2, 1 / 3, 1 / 5], abs=1e-15)
    assert w.judgments[1].text == "[gov, health, 1/3]"
    assert [j.pos.line for j in w.judgments] == [6, 7, 8]
    assert w.pos.line == 5  # the judgments: key, where an inconsistency is reported
    assert w.complete is True
    assert s.ahp == AhpSettings("geometric", 0.2, "saaty1980")


def test_ahp_node_settings_override(tmp_path, tree):
    s, problems = _load(tmp_path, tree, """\
        nodes:
          gov:
            method: ahp
            ahp: {max_cr: 0.05}
            judgments: [[gov_online, gov_wait, 3]]
        """)
    assert not problems.items
    assert s.for_node("gov").ahp == AhpSettings("eigenvector", 0.05, "cn_textbook")


def test_ahp_incomplete_judgments_allowed_with_complete_false(tmp_path, tree):
    s, problems = _load(tmp_path, tree, """\
        nodes:
          idx:
            method: ahp
            complete: false
            judgments: [[gov, transport, 2], [transport, health, 3]]
        """)
    assert not problems.items
    assert s.for_node("idx").complete is False
    assert len(s.for_node("idx").judgments) == 2


def test_ahp_incomplete_but_disconnected_is_refused(tmp_path, tree):
    # only two children judged: health is never compared with anyone
    _, problems = _load(tmp_path, tree, """\
        nodes:
          idx: {method: ahp, complete: false, judgments: [[gov, transport, 2]]}
        """)
    assert _codes(problems) == ["judgments-disconnected"]


def test_group_ahp_experts(tmp_path, tree):
    s, problems = _load(tmp_path, tree, """\
        nodes:
          idx:
            method: ahp
            experts:
              - name: 张三
                judgments: [[gov, transport, 2], [gov, health, 3], [transport, health, 2]]
              - weight: 2
                judgments: [[gov, transport, "1/2"], [gov, health, 1], [transport, health, 1]]
        """)
    assert not problems.items
    e = s.for_node("idx").experts
    assert [x.name for x in e] == ["张三", "expert 2"]
    assert [x.weight for x in e] == [1.0, 2.0]
    assert e[1].judgments[0].value == 0.5
    assert s.for_node("idx").judgments is None


@pytest.mark.parametrize("rule, alpha", [("mdi", None), ("multiplicative", None), ("linear", 0.3),
                                         ("game_theory", None), (None, None)])
def test_combined_with_each_rule(tmp_path, tree, rule, alpha):
    extra = (f"\n    rule: {rule}" if rule else "") + (f"\n    alpha: {alpha}" if alpha is not None else "")
    s, problems = _load(tmp_path, tree, f"""\
nodes:
  idx:
    method: combined
    subjective:
      method: ahp
      judgments: [[gov, transport, 2], [gov, health, 3], [transport, health, 2]]
    objective: {{method: critic}}{extra}
""")
    assert not problems.items
    w = s.for_node("idx")
    assert w.method == "combined"
    assert w.rule == (rule or "mdi")
    assert w.alpha == (alpha if alpha is not None else 0.5)
    assert w.subjective.method == "ahp" and len(w.subjective.judgments) == 3
    assert w.objective.method == "critic"


def test_combined_with_fixed_subjective_and_experts(tmp_path, tree):
    s, problems = _load(tmp_path, tree, """\
        nodes:
          gov:
            method: combined
            subjective: {method: fixed, weights: {gov_online: 0.7, gov_wait: 0.3}}
            objective: {method: entropy, shift: 0.01}
          transport:
            method: combined
            subjective: {method: ahp, experts: [{judgments: [[tr_signal, tr_delay, 2]]}, {judgments: [[tr_signal, tr_delay, 4]]}]}
            objective: {method: cv}
            rule: game_theory
        """)
    assert not problems.items
    assert s.for_node("gov").subjective.weights == {"gov_online": 0.7, "gov_wait": 0.3}
    assert s.for_node("gov").objective.shift == 0.01
    assert len(s.for_node("transport").subjective.experts) == 2


def test_alpha_without_linear_rule_is_a_warning(tmp_path, tree):
    _, problems = _load(tmp_path, tree, """\
        nodes:
          gov: {method: combined, subjective: {method: fixed, weights: {gov_online: 0.5, gov_wait: 0.5}},
                objective: {method: entropy}, alpha: 0.4}
        """)
    assert not problems.errors
    assert [p.code for p in problems.warnings] == ["alpha-unused"]


@pytest.mark.parametrize("text, code", [
    ("nodes:\n  govv: {method: equal}\n", "unknown-node"),
    ("nodes:\n  gov_online: {method: equal}\n", "weights-on-leaf"),
    ("nodes:\n  gov: {method: entropie}\n", "bad-choice"),
    ("nodes:\n  gov: {method: equal, shift: 0.1}\n", "key-not-for-method"),
    ("nodes:\n  gov: {method: entropy, shift: -1}\n", "bad-shift"),
    ("nodes:\n  gov: {method: fixed}\n", "missing-key"),
    ("nodes:\n  gov: {method: ahp}\n", "ahp-judgments"),
    ("nodes:\n  gov: {method: ahp, judgments: [[gov_online, gov_online, 2]]}\n", "self-judgment"),
    ("nodes:\n  gov: {method: ahp, judgments: [[gov_online, gov_wait]]}\n", "bad-judgment"),
    ("nodes:\n  gov: {method: ahp, judgments: [[gov_online, gov_wait, 0.1]]}\n", "judgment-range"),
    ("nodes:\n  gov: {method: ahp, judgments: [[gov_online, gov_wait, 2]], complete: maybe}\n", "not-a-boolean"),
    ("nodes:\n  gov: {method: ahp, experts: []}\n", "no-experts"),
    ("nodes:\n  gov: {method: ahp, experts: [{weight: 0, judgments: [[gov_online, gov_wait, 2]]}]}\n",
     "bad-expert-weight"),
    ("nodes:\n  gov: {method: combined, objective: {method: entropy}}\n", "missing-key"),
    ("nodes:\n  gov: {method: combined, subjective: {method: entropy}, objective: {method: entropy}}\n", "bad-choice"),
    ("nodes:\n  gov: {method: combined, subjective: {method: fixed, weights: {gov_online: 1, gov_wait: 0}}, "
     "objective: {method: ahp}}\n", "bad-choice"),
    ("nodes:\n  gov: {method: combined, subjective: {method: fixed, weights: {gov_online: 1, gov_wait: 0}}, "
     "objective: {method: cv}, rule: linear, alpha: 1.5}\n", "bad-alpha"),
    ("ahp: {max_cr: 0}\n", "bad-max-cr"),
    ("ahp: {ri: textbook}\n", "bad-choice"),
    ("default: {method: ahp}\n", "bad-choice"),
    ("defaults: {method: equal}\n", "unknown-key"),
])
def test_scheme_problems(tmp_path, tree, text, code):
    _, problems = _load(tmp_path, tree, text)
    assert code in _codes(problems)
    assert all(p.pos.line >= 1 and p.pos.col is not None for p in problems.errors)


def test_judgment_value_bounds_are_inclusive(tmp_path, tree):
    _, problems = _load(tmp_path, tree, 'nodes:\n  gov: {method: ahp, judgments: [[gov_online, gov_wait, "1/9"]]}\n'
                        "  transport: {method: ahp, judgments: [[tr_signal, tr_delay, 9]]}\n")
    assert not problems.items


def test_scheme_without_tree_reads_forms_only(tmp_path):
    s, problems = _load(tmp_path, None, "nodes:\n  anything: {method: fixed, weights: {a: 0.5, b: 0.5}}\n")
    assert not problems.items
    assert s.for_node("anything").weights == {"a": 0.5, "b": 0.5}
