"""``priorauth_context``: medspaCy's ConText with our own cue rules (``rules/context.json``:
negation, hypothetical, possible, historical, family, pseudo and terminate cues, each with
examples that are tested) instead of medspaCy's defaults, which are wrong in this domain
("No improvement after 6 weeks of PT" negates PT).

Usable in any spaCy pipeline whose targets are in a span group::

    nlp.add_pipe("priorauth_targets")
    nlp.add_pipe("priorauth_context")                         # our context.json
    nlp.add_pipe("priorauth_context", config={"rules": "my_context.json"})
"""


from spacy.language import Language

from priorauth.extract.rules_io import context_rules, load_rule_file
from priorauth.models.rules import ContextRuleFile, ContextRuleSpec

SPAN_GROUP = "priorauth_facts"


def to_medspacy(rule: ContextRuleSpec):
    """One rule of ours as a medspaCy ``ConTextRule`` (its id kept in the metadata)."""
    from medspacy.context import ConTextRule

    return ConTextRule(
        literal=rule.literal, category=rule.category, direction=rule.direction,
        pattern=list(rule.pattern) if isinstance(rule.pattern, tuple) else rule.pattern,
        max_scope=rule.max_scope,
        allowed_types=set(rule.allowed_types) if rule.allowed_types else None,
        excluded_types=set(rule.excluded_types) if rule.excluded_types else None,
        metadata={"id": rule.id, "copula": rule.copula})


@Language.factory("priorauth_context", requires=["doc.spans"],
                  default_config={"rules": None, "span_group": SPAN_GROUP})
def make_context(nlp: Language, name: str, rules: str | None, span_group: str):
    """Factory: medspaCy ConText over the span group ``span_group``, with the cue rules of
    the file ``rules`` (default: ours) and none of medspaCy's defaults."""
    from medspacy.context import ConText

    context = ConText(nlp, name=name, rules=None, input_span_type="group",
                      span_group_name=span_group, max_scope=None)
    spec = context_rules() if rules is None else load_rule_file(rules, ContextRuleFile)
    context.add([to_medspacy(r) for r in spec.rules])
    return context
