"""``priorauth_sections``: note sections ("Family History:", "Past Medical History:") and the
assertion each imposes on the facts inside it, as ``doc._.priorauth_sections``: a list of
(character offset, category, assertion or None), in text order.

Usable in any spaCy pipeline::

    nlp.add_pipe("priorauth_sections")                       # our sections.json
    nlp.add_pipe("priorauth_sections", config={"rules": "my_sections.json"})
"""


import re

from spacy.language import Language
from spacy.tokens import Doc

from priorauth.extract.rules_io import load_rule_file, section_rules
from priorauth.models.rules import SectionRuleFile

if not Doc.has_extension("priorauth_sections"):
    Doc.set_extension("priorauth_sections", default=None)


class SectionFinder:
    """Finds section headers by the literals of a section rule file."""

    def __init__(self, rules: SectionRuleFile):
        self.lookup: dict[str, tuple[str, str | None]] = {}
        literals: list[str] = []
        for rule in rules.rules:
            for literal in rule.literals:
                self.lookup[literal.lower()] = (rule.category, rule.assertion)
                literals.append(re.escape(literal))
        literals.sort(key=len, reverse=True)
        self.pattern = re.compile(
            rf"(?im)(?:^|(?<=[.\n]\s)|(?<=,)\s?)[ \t]*({'|'.join(literals)})\s*:")

    def find(self, text: str) -> list[tuple[int, str, str | None]]:
        """(offset, category, imposed assertion) for every section header in ``text``."""
        return [(m.start(1), *self.lookup[m.group(1).lower()])
                for m in self.pattern.finditer(text)]

    def __call__(self, doc: Doc) -> Doc:
        doc._.priorauth_sections = self.find(doc.text)
        return doc


@Language.factory("priorauth_sections", assigns=["doc._.priorauth_sections"],
                  default_config={"rules": None})
def make_sections(nlp: Language, name: str, rules: str | None) -> SectionFinder:
    """Factory: ``rules`` is the path of a section rule file (default: ours)."""
    return SectionFinder(section_rules() if rules is None
                         else load_rule_file(rules, SectionRuleFile))
